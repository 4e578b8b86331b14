package xenstore

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowOps answers reads after a pause, counting how many are in flight.
type slowOps struct {
	Ops
	inFlight, most atomic.Int32
	mu             sync.Mutex
}

func (s *slowOps) Read(ctx context.Context, path string) ([]byte, error) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	s.mu.Lock()
	s.most.Store(max(s.most.Load(), n))
	s.mu.Unlock()
	time.Sleep(time.Millisecond)
	if path == "/bad" {
		return nil, ErrNotExist
	}
	return []byte(path), nil
}

// TestReadMany: values in the order of the paths, up to the first that
// failed, with up to maxInFlight reads outstanding at once.
func TestReadMany(t *testing.T) {
	s := &slowOps{}
	var paths []string
	for i := range 200 {
		paths = append(paths, "/p"+strconv.Itoa(i))
	}
	vals, err := ReadMany(context.Background(), s, paths)
	if err != nil || len(vals) != len(paths) {
		t.Fatalf("%d values, %v", len(vals), err)
	}
	for i, v := range vals {
		if string(v) != paths[i] {
			t.Fatalf("value %d is %q, want %q", i, v, paths[i])
		}
	}
	if m := s.most.Load(); m < 2 || m > maxInFlight {
		t.Errorf("%d reads in flight at most; want 2 to %d", m, maxInFlight)
	}
	vals, err = ReadMany(context.Background(), s, []string{"/a", "/b", "/bad", "/c", "/bad"})
	if !errors.Is(err, ErrNotExist) || len(vals) != 2 || string(vals[1]) != "/b" {
		t.Errorf("with a failing third path: %q, %v", vals, err)
	}
}
