package cpupool

import (
	"context"
	"errors"
	"strings"

	"xgo.dev/xgo/xenstore"
)

// TreeNode is a saved XenStore node: its value and permissions.
type TreeNode struct {
	Path  string
	Value []byte
	Perms xenstore.Perms
}

// SaveTree reads path and everything below it, parents first and
// siblings in Directory order; a missing path saves nothing. Nodes already in seen
// (which may be nil) are skipped, and the ones read are added to it, so
// overlapping subtrees are saved once.
func SaveTree(ctx context.Context, xs xenstore.Ops, path string, seen map[string]bool) ([]TreeNode, error) {
	if seen[path] {
		return nil, nil
	}
	perms, err := xs.GetPerms(ctx, path)
	if errors.Is(err, xenstore.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v, err := xs.Read(ctx, path)
	if err != nil && !errors.Is(err, xenstore.ErrNotExist) {
		return nil, err
	}
	if seen != nil {
		seen[path] = true
	}
	out := []TreeNode{{Path: path, Value: v, Perms: perms}}
	kids, err := xs.Directory(ctx, path)
	if err != nil && !errors.Is(err, xenstore.ErrNotExist) {
		return nil, err
	}
	for _, k := range kids {
		sub, err := SaveTree(ctx, xs, strings.TrimSuffix(path, "/")+"/"+k, seen)
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}

// RestoreTree writes saved nodes back, in order, with their values and
// permissions.
func RestoreTree(ctx context.Context, xs xenstore.Ops, nodes []TreeNode) error {
	for _, n := range nodes {
		if err := xs.Write(ctx, n.Path, n.Value); err != nil {
			return err
		}
		if err := xs.SetPerms(ctx, n.Path, n.Perms); err != nil {
			return err
		}
	}
	return nil
}
