package xstool

import (
	"context"
	"fmt"
	"strings"

	"xgo.dev/xgo/xenstore"
)

// Store is what the tools need of a XenStore connection; a
// *xenstore.Conn is one.
type Store interface {
	xenstore.Ops
	Transact(ctx context.Context, fn func(tx *xenstore.Tx) error) error
}

var _ Store = (*xenstore.Conn)(nil)

// CheckPaths validates every path, so that nothing is sent when one of
// them is bad.
func CheckPaths(paths ...string) error {
	for _, p := range paths {
		if err := xenstore.ValidatePath(p); err != nil {
			return err
		}
	}
	return nil
}

// CheckWatchPaths validates the paths of a watch (@introduceDomain and
// @releaseDomain are accepted); a path given twice is refused.
func CheckWatchPaths(paths []string) error {
	seen := map[string]bool{}
	for _, p := range paths {
		if err := xenstore.ValidateWatchPath(p); err != nil {
			return err
		}
		if seen[p] {
			return fmt.Errorf("xenstore watch: path %q given twice", p)
		}
		seen[p] = true
	}
	return nil
}

// Join appends a child name to a path as xenstore-ls does.
func Join(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

// parent is the parent of p, false for a node whose parent is the root
// ("/a": the root stays) or that has none ("a").
func parent(p string) (string, bool) {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "", false
	}
	return p[:i], true
}

// inTx runs fn in one transaction when many is true (as xenstore-read and
// -write do for more than one path), directly on c otherwise.
func inTx(ctx context.Context, c Store, many bool, fn func(ops xenstore.Ops) error) error {
	if !many {
		return fn(c)
	}
	return c.Transact(ctx, func(tx *xenstore.Tx) error { return fn(tx) })
}

// Read returns the values of paths, as xenstore-read reads them: several
// in one transaction. The reads are pipelined, all in flight at once. On
// a failure it returns the values read before it, which the tool prints.
func Read(ctx context.Context, c Store, paths []string) ([][]byte, error) {
	var vals [][]byte
	err := inTx(ctx, c, len(paths) > 1, func(ops xenstore.Ops) error {
		var err error
		vals, err = xenstore.ReadMany(ctx, ops, paths) // the transaction may run again
		return err
	})
	return vals, err
}

// Pair is one path and the value to write there.
type Pair struct {
	Path  string
	Value []byte
}

// Write writes each pair, creating missing nodes and parents; several
// pairs in one transaction, as xenstore-write does.
func Write(ctx context.Context, c Store, pairs []Pair) error {
	return inTx(ctx, c, len(pairs) > 1, func(ops xenstore.Ops) error {
		for _, p := range pairs {
			if err := ops.Write(ctx, p.Path, p.Value); err != nil {
				return err
			}
		}
		return nil
	})
}

// Mkdir creates each path with an empty value (an existing node is left
// alone); several in one transaction.
func Mkdir(ctx context.Context, c Store, paths []string) error {
	return inTx(ctx, c, len(paths) > 1, func(ops xenstore.Ops) error {
		for _, p := range paths {
			if err := ops.Mkdir(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// Perms returns the permissions of each path; several in one
// transaction. On a failure it returns those read before it.
func Perms(ctx context.Context, c Store, paths []string) ([]xenstore.Perms, error) {
	var out []xenstore.Perms
	err := inTx(ctx, c, len(paths) > 1, func(ops xenstore.Ops) error {
		out = nil
		for _, p := range paths {
			perms, err := ops.GetPerms(ctx, p)
			if err != nil {
				return err
			}
			out = append(out, perms)
		}
		return nil
	})
	return out, err
}

// Remove removes each path and everything below it, all in one
// transaction, and with tidy then each parent left with an empty value
// and no children, as xenstore-rm -t does. It returns the paths removed.
func Remove(ctx context.Context, c Store, paths []string, tidy bool) ([]string, error) {
	var removed []string
	err := c.Transact(ctx, func(tx *xenstore.Tx) error {
		removed = removed[:0]
		for _, p := range paths {
			if err := remove(ctx, tx, p, tidy, &removed); err != nil {
				return err
			}
		}
		return nil
	})
	return removed, err
}

func remove(ctx context.Context, ops xenstore.Ops, path string, tidy bool, removed *[]string) error {
	for {
		if err := ops.Rm(ctx, path); err != nil {
			return err
		}
		*removed = append(*removed, path)
		if !tidy {
			return nil
		}
		p, ok := parent(path)
		if !ok {
			return nil
		}
		if v, err := ops.Read(ctx, p); err != nil || len(v) != 0 {
			return nil
		}
		if children, err := ops.Directory(ctx, p); err != nil || len(children) != 0 {
			return nil
		}
		path = p
	}
}

// Chmod says which nodes xenstore-chmod changes and how.
type Chmod struct {
	Path    string
	Perms   xenstore.Perms
	Recurse bool // -r: also every node below Path
	Upto    bool // -u: also every parent of Path up to (not including) the root
}

// Apply sets the permissions of the nodes req names, in one transaction,
// and returns them in xenstore-chmod's order: the path, then with Upto
// each parent up to but not including the root, then with Recurse every
// node below the path, depth first. With dry it only lists them (outside
// any transaction: nothing is changed, so the listing need not be
// atomic).
func (req Chmod) Apply(ctx context.Context, c Store, dry bool) ([]string, error) {
	var done []string
	if dry {
		err := req.walk(ctx, c, func(p string) error {
			done = append(done, p)
			return nil
		})
		return done, err
	}
	err := c.Transact(ctx, func(tx *xenstore.Tx) error {
		done = done[:0]
		return req.walk(ctx, tx, func(p string) error {
			if err := tx.SetPerms(ctx, p, req.Perms); err != nil {
				return err
			}
			done = append(done, p)
			return nil
		})
	})
	return done, err
}

func (req Chmod) walk(ctx context.Context, ops xenstore.Ops, set func(path string) error) error {
	if err := set(req.Path); err != nil {
		return err
	}
	if req.Upto {
		for p, ok := parent(req.Path); ok; p, ok = parent(p) {
			if err := set(p); err != nil {
				return err
			}
		}
	}
	if !req.Recurse {
		return nil
	}
	var walk func(dir string) error
	walk = func(dir string) error {
		children, err := ops.Directory(ctx, dir)
		if err != nil {
			return err
		}
		for _, name := range children {
			p := Join(dir, name)
			if err := set(p); err != nil {
				return err
			}
			if err := walk(p); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(req.Path)
}
