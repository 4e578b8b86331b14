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
	switch path {
	case "/bad":
		return nil, ErrNotExist
	case "/denied":
		return nil, ErrPermission
	case "/empty":
		return nil, nil
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

// TestReadEach: a missing node is nil, an empty one empty, and only
// other errors fail the call.
func TestReadEach(t *testing.T) {
	s := &slowOps{}
	vals, err := ReadEach(context.Background(), s, []string{"/a", "/bad", "/empty"})
	if err != nil || len(vals) != 3 || string(vals[0]) != "/a" || vals[1] != nil || vals[2] == nil || len(vals[2]) != 0 {
		t.Fatalf("ReadEach: %q, %v", vals, err)
	}
	if _, err := ReadEach(context.Background(), s, []string{"/a", "/denied", "/bad"}); !errors.Is(err, ErrPermission) {
		t.Fatalf("with a denied path: %v", err)
	}
}
