package xenstored

import (
	"fmt"
	"strings"
	"syscall"
)

// controlCmds are the commands of xenstored_control.c (4.17) in its
// order, with the parameter text "help" prints.
var controlCmds = []struct {
	name, pars string
	fn         func(s *Server, r *request, args []string) ([]byte, error)
}{
	{"check", "", ctlCheck},
	{"log", "on|off", ctlLog},
	{"live-update", "[-c <cmdline>] [-F] [-t <timeout>] <file>\n    Default timeout is 60 seconds.", ctlUnsupported},
	{"logfile", "<file>", ctlUnsupported},
	{"memreport", "[<file>]", ctlUnsupported},
	{"print", "<string>", ctlPrint},
	{"quota", "[set <name> <val>|<domid>]", ctlQuota},
	{"quota-soft", "[set <name> <val>]", ctlQuotaSoft},
	{"help", "", nil}, // ctlHelp, set in init (it lists controlCmds)
}

func init() { controlCmds[len(controlCmds)-1].fn = ctlHelp }

// doControl is do_control: "cmd\0[arg\0]…", dom0 only. An unknown command
// is EINVAL. live-update, logfile and memreport have no meaning here and
// answer ENOSYS.
func doControl(s *Server, r *request) ([]byte, error) {
	args := getStrings(r.msg.Payload)
	if len(args) == 0 {
		return nil, syscall.EINVAL
	}
	for _, cmd := range controlCmds {
		if cmd.name == args[0] {
			return cmd.fn(s, r, args[1:])
		}
	}
	return nil, syscall.EINVAL
}

func ctlCheck(s *Server, r *request, args []string) ([]byte, error) {
	if len(args) != 0 {
		return nil, syscall.EINVAL
	}
	return okPayload, nil
}

func ctlLog(s *Server, r *request, args []string) ([]byte, error) {
	if len(args) != 1 || (args[0] != "on" && args[0] != "off") {
		return nil, syscall.EINVAL
	}
	return okPayload, nil
}

func ctlPrint(s *Server, r *request, args []string) ([]byte, error) {
	if len(args) != 1 {
		return nil, syscall.EINVAL
	}
	s.logf("control: %s", args[0])
	return okPayload, nil
}

func ctlUnsupported(s *Server, r *request, args []string) ([]byte, error) {
	return nil, syscall.ENOSYS
}

func ctlHelp(s *Server, r *request, args []string) ([]byte, error) {
	if len(args) != 0 {
		return nil, syscall.EINVAL
	}
	var b strings.Builder
	for _, cmd := range controlCmds {
		fmt.Fprintf(&b, "%s\t%s\n", cmd.name, cmd.pars)
	}
	return append([]byte(b.String()), 0), nil
}

// quotaEntry names one quota as "xenstore-control quota" does.
type quotaEntry struct {
	name, descr string
	ptr         func(q *Quotas) *int // nil: accepted, not enforced here
}

var hardQuotas = []quotaEntry{
	{"nodes", "Nodes per domain", func(q *Quotas) *int { return &q.Nodes }},
	{"watches", "Watches per domain", func(q *Quotas) *int { return &q.Watches }},
	{"transactions", "Transactions per domain", func(q *Quotas) *int { return &q.Transactions }},
	{"outstanding", "Outstanding requests per domain", func(q *Quotas) *int { return &q.Outstanding }},
	{"transaction-nodes", "Max. number of accessed nodes per transaction", func(q *Quotas) *int { return &q.TxNodes }},
	{"memory", "Total Xenstore memory per domain (error level)", nil},
	{"node-size", "Max. size of a node", func(q *Quotas) *int { return &q.NodeSize }},
	{"path-max", "Max. length of a node path", func(q *Quotas) *int { return &q.PathMax }},
	{"permissions", "Max. number of permissions per node", func(q *Quotas) *int { return &q.NodePerms }},
}

// The memory quotas are not enforced; report C's defaults.
var memoryQuota = map[bool]int{false: 2*1024*1024 + 512*1024, true: 2 * 1024 * 1024}

// ctlQuota is do_control_quota: show all, "set <name> <val>" (val >= 1),
// or "<domid>" for a domain's usage (ENOENT if unknown).
func ctlQuota(s *Server, r *request, args []string) ([]byte, error) {
	switch {
	case len(args) == 0:
		var b strings.Builder
		b.WriteString("Quota settings:\n")
		for _, e := range hardQuotas {
			v := memoryQuota[false]
			if e.ptr != nil {
				v = *e.ptr(&s.q)
			}
			fmt.Fprintf(&b, "%-17s: %8d %s\n", e.name, v, e.descr)
		}
		return append([]byte(b.String()), 0), nil
	case args[0] == "set":
		args = args[1:]
		if len(args) != 2 {
			return nil, syscall.EINVAL
		}
		v := int(cAtoi(args[1]))
		if v < 1 {
			return nil, syscall.EINVAL
		}
		for _, e := range hardQuotas {
			if e.name == args[0] {
				if e.ptr != nil {
					*e.ptr(&s.q) = v
					s.outQuota.Store(int64(s.q.Outstanding))
				}
				return okPayload, nil
			}
		}
		return nil, syscall.EINVAL
	}
	if len(args) != 1 {
		return nil, syscall.EINVAL
	}
	domid := uint32(cAtoi(args[0]))
	d := s.domains[domid]
	if d == nil {
		return nil, syscall.ENOENT
	}
	ta := 0
	for _, c := range s.conns {
		if c.isDomain && c.id == domid {
			ta += len(c.txs)
		}
	}
	s.outMu.Lock()
	outstanding := s.outstanding[domid]
	s.outMu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "Domain %d:\n", domid)
	for _, e := range []struct {
		name string
		v    int
	}{{"nodes", d.nbentry}, {"watches", d.nbwatch}, {"transactions", ta}, {"outstanding", outstanding}, {"memory", 0}} {
		fmt.Fprintf(&b, "%-16s: %8d\n", e.name, e.v)
	}
	return append([]byte(b.String()), 0), nil
}

// ctlQuotaSoft is do_control_quota_s: only "memory", not enforced.
func ctlQuotaSoft(s *Server, r *request, args []string) ([]byte, error) {
	if len(args) == 0 {
		return append([]byte(fmt.Sprintf("Quota settings:\n%-17s: %8d %s\n", "memory", memoryQuota[true],
			"Total Xenstore memory per domain (warning level)")), 0), nil
	}
	if args[0] != "set" || len(args) != 3 || cAtoi(args[2]) < 1 || args[1] != "memory" {
		return nil, syscall.EINVAL
	}
	return okPayload, nil
}
