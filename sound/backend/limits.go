package backend

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"xgo.dev/xgo/xendev"
)

// This file holds what bounds the resources and the CPU a guest can make
// the backend spend: pages mapped per guest, and token buckets for the
// event-channel notifications, ring requests, state changes and log
// lines a guest causes.

// Rates a guest's activity is held to. Linux's frontend makes one
// request at a time per stream and waits for its answer, so even a
// 192 kHz stream with 16-frame periods stays far below them.
const (
	eventsPerSec     = 10000 // notifications per port, burst eventBurst
	eventBurst       = 256
	requestsPerSec   = 10000 // requests per stream, burst requestBurst
	requestBurst     = 4 * 32
	rebasesPerSec    = 1 // stops that grant a stream a fresh buffer (an underrun's refill), burst rebaseBurst
	rebaseBurst      = 4
	stepsPerSec      = 20 // state-machine passes per device, burst stepBurst
	stepBurst        = 40
	logLinesPer10s   = 10 // log lines per device, burst logBurst
	logBurst         = 20
	debugLinesPer10s = 200 // verbose (-v) lines per device, burst debugBurst
	debugBurst       = 200
	shutdownTimeout  = time.Second
)

// bucket is a token bucket: rate tokens a second, at most burst saved.
type bucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

func newBucket(rate, burst float64) bucket {
	return bucket{rate: rate, burst: burst, tokens: burst}
}

// take spends a token if there is one; else it says how long until
// there is.
func (b *bucket) take(now time.Time) (bool, time.Duration) {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// ErrGrantLimit: a guest asked for more mapped pages than its bound
// (Config.MaxGrantPages).
var ErrGrantLimit = errors.New("the guest's bound on mapped pages is reached")

// limitedGrants maps through g, at most max pages of each guest at once.
type limitedGrants struct {
	g   xendev.Grants
	max int

	mu   sync.Mutex
	used map[uint32]int
}

func newLimitedGrants(g xendev.Grants, max int) *limitedGrants {
	if max <= 0 {
		max = DefaultMaxGrantPages
	}
	return &limitedGrants{g: g, max: max, used: map[uint32]int{}}
}

func (l *limitedGrants) Map(domid uint32, refs []uint32, writable bool) (xendev.Mapping, error) {
	n := len(refs)
	l.mu.Lock()
	if l.used[domid]+n > l.max {
		used := l.used[domid]
		l.mu.Unlock()
		return nil, fmt.Errorf("%w: %d pages mapped, %d more asked, at most %d", ErrGrantLimit, used, n, l.max)
	}
	l.used[domid] += n
	l.mu.Unlock()
	m, err := l.g.Map(domid, refs, writable)
	if err != nil {
		l.release(domid, n)
		return nil, err
	}
	return &limitedMapping{Mapping: m, l: l, dom: domid, n: n}, nil
}

func (l *limitedGrants) release(domid uint32, n int) {
	l.mu.Lock()
	if l.used[domid] -= n; l.used[domid] <= 0 {
		delete(l.used, domid)
	}
	l.mu.Unlock()
}

type limitedMapping struct {
	xendev.Mapping
	l    *limitedGrants
	dom  uint32
	n    int
	once sync.Once
}

func (m *limitedMapping) Unmap() error {
	err := m.Mapping.Unmap()
	m.once.Do(func() { m.l.release(m.dom, m.n) })
	return err
}

// logLimiter lets a device log a burst of lines at once and then a
// number every ten seconds; the next line that passes says how many
// were left out.
type logLimiter struct {
	mu      sync.Mutex
	b       bucket
	dropped int
}

func newLogLimiter(per10s, burst float64) *logLimiter {
	return &logLimiter{b: newBucket(per10s/10.0, burst)}
}

// allow reports whether a line may be logged now, and how many were
// suppressed before it.
func (l *logLimiter) allow() (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ok, _ := l.b.take(time.Now()); !ok {
		l.dropped++
		return false, 0
	}
	n := l.dropped
	l.dropped = 0
	return true, n
}

// oneLine makes a log message one line whatever went into it: control
// characters (a guest's newline above all) are escaped as Go does.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029
}
