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

// RefView names a pool in JSON and YAML output; ID is null for a pool a
// dry run would create.
type RefView struct {
	ID   *uint32 `json:"id" yaml:"id"`
	Name string  `json:"name" yaml:"name"`
}

// View returns r as RefView; nil for nil.
func (r *PoolRef) View() *RefView {
	if r == nil {
		return nil
	}
	out := &RefView{Name: r.Name}
	if r.Known {
		id := r.ID
		out.ID = &id
	}
	return out
}

// View returns the RefView of the existing pool p.
func (p Pool) View() *RefView {
	id := p.ID
	return &RefView{ID: &id, Name: p.Name}
}

// MoveView is a Move in JSON and YAML output; from or to is null for
// "free".
type MoveView struct {
	CPU  int      `json:"cpu" yaml:"cpu"`
	From *RefView `json:"from" yaml:"from"`
	To   *RefView `json:"to" yaml:"to"`
}

// MoveViews returns the views of moves.
func MoveViews(moves []Move) []MoveView {
	out := make([]MoveView, len(moves))
	for i, m := range moves {
		out[i] = MoveView{CPU: m.CPU, From: m.From.View(), To: m.To.View()}
	}
	return out
}

// StepViews returns the views of steps.
func StepViews(steps []Step) []StepView {
	out := make([]StepView, len(steps))
	for i, s := range steps {
		out[i] = s.View()
	}
	return out
}
