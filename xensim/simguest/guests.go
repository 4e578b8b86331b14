package simguest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"xgo.dev/xgo/xenstore"
)

// Guests plays snd-xen-front's xenbus half for every guest of a host,
// one step at a time, with its grants and ports in x: what a simulated
// host needs for its vsnd devices to connect to a backend. Unlike
// Frontend it keeps no watch and no connection between steps, so it can
// serve a host that is loaded and saved in turns; the channels it
// allocated stay in x and in Guests. Not safe for concurrent use.
type Guests struct {
	x    *Xen
	devs map[string]*Frontend // by frontend path
}

// NewGuests returns guests whose memory, grants and ports live in x.
func NewGuests(x *Xen) *Guests { return &Guests{x: x, devs: map[string]*Frontend{}} }

// Step looks at every vsnd device of the given guests (conn(dom) is a
// XenStore connection acting as dom) and makes the frontend's next move,
// as sndback_changed does: backend InitWait → allocate, grant and
// publish every stream's channels, Initialised; backend Connected →
// Connected; backend Closed or gone → free everything, Initialising.
// It reports whether it changed anything.
func (g *Guests) Step(ctx context.Context, doms []uint32, conn func(dom uint32) (*xenstore.Conn, error)) (bool, error) {
	changed := false
	seen := map[string]bool{}
	for _, dom := range doms {
		c, err := conn(dom)
		if err != nil {
			return changed, err
		}
		home := fmt.Sprintf("/local/domain/%d/device/vsnd", dom)
		ids, err := c.Directory(ctx, home)
		if errors.Is(err, xenstore.ErrNotExist) {
			continue
		}
		if err != nil {
			return changed, err
		}
		for _, id := range ids {
			devid, err := strconv.Atoi(id)
			if err != nil {
				continue
			}
			path := home + "/" + id
			seen[path] = true
			ch, err := g.step(ctx, c, dom, devid, path)
			changed = changed || ch
			if err != nil {
				return changed, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	for path, f := range g.devs {
		if !seen[path] && g.ownsDom(f.Dom, doms) {
			g.free(f)
			delete(g.devs, path)
		}
	}
	return changed, nil
}

func (g *Guests) ownsDom(dom uint32, doms []uint32) bool {
	for _, d := range doms {
		if d == dom {
			return true
		}
	}
	return false
}

func (g *Guests) step(ctx context.Context, c *xenstore.Conn, dom uint32, devid int, path string) (bool, error) {
	fs := StateOf(ctx, c, path+"/state")
	be, err := c.Read(ctx, path+"/backend")
	if err != nil {
		return false, nil // not provisioned completely (or going away)
	}
	bs := StateOf(ctx, c, string(be)+"/state")
	f := g.devs[path]
	switch {
	case bs == 2 && fs == 1:
		if f != nil {
			g.free(f)
		}
		bid, err := c.Read(ctx, path+"/backend-id")
		if err != nil {
			return false, err
		}
		n, _ := strconv.ParseUint(strings.TrimSpace(string(bid)), 10, 32)
		f = &Frontend{x: g.x, conn: c, Dom: dom, BackDom: uint32(n), DevID: devid, Path: path, Backend: string(be), ports: map[uint32]func(){}, done: make(chan struct{})}
		f.ev = g.x.Evtchn(dom)
		go f.dispatch()
		g.devs[path] = f
		if err := f.publish(ctx); err != nil {
			return true, err
		}
		return true, c.Write(ctx, path+"/state", []byte("3"))
	case bs == 4 && fs == 3 && f != nil:
		return true, c.Write(ctx, path+"/state", []byte("4"))
	case (bs == 6 || bs == 0) && fs != 1 && fs != 6:
		if f != nil {
			g.free(f)
			delete(g.devs, path)
		}
		return true, c.Write(ctx, path+"/state", []byte("1"))
	}
	return false, nil
}

// publish allocates every stream's channels and publishes them in one
// transaction (the frontend's half of Attach).
func (f *Frontend) publish(ctx context.Context) error {
	for p := 0; ; p++ {
		found := false
		for s := 0; ; s++ {
			dir := fmt.Sprintf("%s/%d/%d", f.Path, p, s)
			typ, err := f.conn.Read(ctx, dir+"/type")
			if err != nil {
				break
			}
			found = true
			st, err := f.newStream(dir, strings.EqualFold(string(typ), "c"))
			if err != nil {
				return err
			}
			f.Streams = append(f.Streams, st)
		}
		if !found {
			break
		}
	}
	return f.conn.Transact(ctx, func(tx *xenstore.Tx) error {
		for _, s := range f.Streams {
			for k, v := range map[string]uint32{"ring-ref": s.ringRef, "event-channel": s.port, "evt-ring-ref": s.evtRef, "evt-event-channel": s.evtPort} {
				if err := tx.Write(ctx, s.Path+"/"+k, []byte(strconv.FormatUint(uint64(v), 10))); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// free revokes a frontend's grants, frees its pages and closes its ports.
func (g *Guests) free(f *Frontend) {
	for _, s := range f.Streams {
		s.release()
		g.x.Revoke(f.Dom, s.ringRef)
		g.x.Revoke(f.Dom, s.evtRef)
		g.x.Free(f.Dom, s.ringFrame, 1)
		g.x.Free(f.Dom, s.evtFrame, 1)
	}
	f.Close()
}

// HasDomain reports whether the hypervisor has domain id.
func (x *Xen) HasDomain(id uint32) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.doms[id] != nil
}
