package backend

import (
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xendev"
)

// This file joins the backend to a real host: /dev/xen/gntdev and
// /dev/xen/evtchn through package hypercall.

// *hypercall.Evtchn is an Events as it is.
var _ xendev.Events = (*hypercall.Evtchn)(nil)

// GntdevGrants maps grants through a /dev/xen/gntdev handle.
func GntdevGrants(g *hypercall.Gntdev) xendev.Grants { return gntdevGrants{g} }

type gntdevGrants struct{ g *hypercall.Gntdev }

func (a gntdevGrants) Map(domid uint32, refs []uint32, writable bool) (xendev.Mapping, error) {
	m, err := a.g.Map(domid, refs, writable)
	if err != nil {
		return nil, err // a nil *GrantMap must not become a non-nil Mapping
	}
	return m, nil
}
