package conformance

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// The line protocol between a driver and an agent that runs operations on
// a connection elsewhere (in the lab: inside a guest, over its console).
// Each message is one line: a prefix, then base64 of a JSON object. Lines
// without the prefix (console noise, kernel messages) are skipped.
const (
	requestPrefix  = "XGOC>"
	responsePrefix = "XGOC<"
)

type wireRequest struct {
	Seq int `json:"seq"`
	Op  Op  `json:"op"`
}

type wireResponse struct {
	Seq    int    `json:"seq"`
	Result Result `json:"result"`
}

// Remote is an Endpoint whose operations run in an agent (ServeAgent) at
// the other end of a line-oriented byte stream.
type Remote struct {
	w    io.Writer
	wmu  sync.Mutex
	mu   sync.Mutex
	seq  int
	wait map[int]chan Result
	err  error
	// Noise receives the lines that are not responses (may be nil).
	Noise func(line string)
	// Timeout bounds the wait for one answer; 0 means 60s.
	Timeout time.Duration
}

// NewRemote starts reading responses from r; requests go to w.
func NewRemote(r io.Reader, w io.Writer) *Remote {
	rm := &Remote{w: w, wait: map[int]chan Result{}}
	go rm.readLoop(r)
	return rm
}

func (rm *Remote) readLoop(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		i := strings.Index(line, responsePrefix)
		if i < 0 {
			if rm.Noise != nil && line != "" {
				rm.Noise(line)
			}
			continue
		}
		var resp wireResponse
		b, err := base64.StdEncoding.DecodeString(line[i+len(responsePrefix):])
		if err == nil {
			err = json.Unmarshal(b, &resp)
		}
		if err != nil {
			if rm.Noise != nil {
				rm.Noise("garbled response: " + line)
			}
			continue
		}
		rm.mu.Lock()
		ch := rm.wait[resp.Seq]
		delete(rm.wait, resp.Seq)
		rm.mu.Unlock()
		if ch != nil {
			ch <- resp.Result
		}
	}
	rm.mu.Lock()
	rm.err = sc.Err()
	if rm.err == nil {
		rm.err = io.EOF
	}
	for seq, ch := range rm.wait {
		close(ch)
		delete(rm.wait, seq)
	}
	rm.mu.Unlock()
}

// Do sends op to the agent and waits for its result.
func (rm *Remote) Do(ctx context.Context, op Op) Result {
	rm.mu.Lock()
	if rm.err != nil {
		err := rm.err
		rm.mu.Unlock()
		return Result{Text: "harness: agent connection ended: " + err.Error()}
	}
	rm.seq++
	seq := rm.seq
	ch := make(chan Result, 1)
	rm.wait[seq] = ch
	rm.mu.Unlock()

	b, _ := json.Marshal(wireRequest{Seq: seq, Op: op})
	line := requestPrefix + base64.StdEncoding.EncodeToString(b) + "\n"
	rm.wmu.Lock()
	_, err := io.WriteString(rm.w, line)
	rm.wmu.Unlock()
	if err != nil {
		return Result{Text: "harness: sending to the agent: " + err.Error()}
	}
	timeout := rm.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r, ok := <-ch:
		if !ok {
			return Result{Text: "harness: agent connection ended"}
		}
		return r
	case <-t.C:
		return Result{Text: fmt.Sprintf("harness: no answer from the agent to %s within %s", op.Kind, timeout)}
	case <-ctx.Done():
		return Result{Text: "harness: " + ctx.Err().Error()}
	}
}

// ServeAgent reads requests from r, runs them on e and writes the results
// to w, until an OpQuit request or the end of r.
func ServeAgent(ctx context.Context, r io.Reader, w io.Writer, e Endpoint) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		i := strings.Index(line, requestPrefix)
		if i < 0 {
			continue
		}
		var req wireRequest
		b, err := base64.StdEncoding.DecodeString(line[i+len(requestPrefix):])
		if err == nil {
			err = json.Unmarshal(b, &req)
		}
		if err != nil {
			continue // garbled: the driver times out and reports it
		}
		res := e.Do(ctx, req.Op)
		out, _ := json.Marshal(wireResponse{Seq: req.Seq, Result: res})
		if _, err := io.WriteString(w, responsePrefix+base64.StdEncoding.EncodeToString(out)+"\n"); err != nil {
			return err
		}
		if req.Op.Kind == OpQuit {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.EOF
}
