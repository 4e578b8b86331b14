package cpupool

import (
	"context"
	"errors"
	"fmt"

	"xgo.dev/xgo/cpuset"
)

// ListItem is one pool as cpupool-list reports it.
type ListItem struct {
	ID        uint32     `json:"id" yaml:"id"`
	Name      string     `json:"name" yaml:"name"`
	Scheduler string     `json:"scheduler" yaml:"scheduler"`
	CPUs      cpuset.Set `json:"cpus" yaml:"cpus"`
	Domains   int        `json:"domainCount" yaml:"domainCount"`
}

// List is cpupool-list: every pool in id order, or only the one q names
// (a name, or an id if all digits; "" for all), refusing an unknown q
// with xl's message. It never returns a nil slice without an error.
func (m *Manager) List(ctx context.Context, q string) ([]ListItem, error) {
	pools, err := m.Pools(ctx)
	if err != nil {
		return nil, err
	}
	if q != "" {
		p, err := ResolvePool(pools, q)
		var nf *NotFoundError
		if errors.As(err, &nf) {
			//lint:ignore ST1005 this is xl's message, word for word
			return nil, fmt.Errorf("Pool '%s' does not exist%s", q, DidYouMean(nf.Suggestion))
		}
		if err != nil {
			return nil, err
		}
		pools = []Pool{p}
	}
	out := []ListItem{}
	for _, p := range pools {
		out = append(out, ListItem{ID: p.ID, Name: p.Name, Scheduler: p.Scheduler.String(), CPUs: p.CPUs, Domains: p.NDom})
	}
	return out, nil
}
