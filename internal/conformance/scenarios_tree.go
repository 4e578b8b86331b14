package conformance

import (
	"strings"

	"xgo.dev/xgo/xenstore"
)

func init() {
	register(&Scenario{
		Name: "tree",
		Doc:  "read, write, mkdir, rm and directory: parents created by write and mkdir, values with odd bytes, children order, rm of a missing node vs a missing parent, rm of the root, relative paths",
		Run: func(s *S) {
			d := s.Dom0()
			d.Write(s.Path("a"), "1")
			d.Read(s.Path("a"))
			d.Write(s.Path("a"), "")
			d.Read(s.Path("a"))
			d.Write(s.Path("p/q/r"), "deep")
			d.Read(s.Path("p"))
			d.Read(s.Path("p/q"))
			d.Dir(s.Path("p"))
			d.Dir(s.Path("p/q/r"))
			d.Read(s.Path("missing"))
			d.Read(s.Path("missing/child"))
			d.Dir(s.Path("missing"))
			d.Mkdir(s.Path("p"))
			d.Read(s.Path("p/q/r"))
			d.Mkdir(s.Path("m/n"))
			d.Dir(s.Path("m"))
			d.Read(s.Path("m/n"))
			d.Write(s.Path("v"), "spaces and \"quotes\" \u00e9\u20ac\n\ttab\x00nul\xff")
			d.Read(s.Path("v"))
			d.Write(s.Path("order/b"), "")
			d.Write(s.Path("order/a"), "")
			d.Write(s.Path("order/c"), "")
			d.Dir(s.Path("order"))
			d.Rm(s.Path("order/a"))
			d.Write(s.Path("order/a"), "again")
			d.Dir(s.Path("order"))
			d.Rm(s.Path("nothing"))
			d.Rm(s.Path("nothing/at/all"))
			d.Rm(s.Path("p"))
			d.Read(s.Path("p/q/r"))
			d.Read(s.Path("p"))
			d.Unless(DaemonOCaml, "its RM of / removes every node").Rm("/")
			d.Read("/tool")
			d.Write("xgo-conf-rel", "relative")
			d.Read("/local/domain/0/xgo-conf-rel")
			d.Read("xgo-conf-rel")
			d.Rm("xgo-conf-rel")
			d.Read("/local/domain/0/xgo-conf-rel")
			d.Dir(s.Path(""))
		},
	})

	register(&Scenario{
		Name: "paths",
		Doc:  "paths the client refuses before sending, the same sent raw, and the path length limit: 2048 bytes, counted after /local/domain/ID/ (for dom0 too)",
		Run: func(s *S) {
			d := s.Dom0()
			r := s.Raw("raw")
			for _, p := range []string{s.Path("a//b"), s.Path("a/"), s.Path("sp ace"), s.Path("t\u00e9"), ""} {
				d.Read(p)
				r.Send(xenstore.TypeRead, 0, p)
			}
			r.Send(xenstore.TypeRead, 0, "/")
			r.Send(xenstore.TypeRead, 0, "@introduceDomain")
			r.Send(xenstore.TypeWrite, 0, "@xgo", "v")
			// Lengths: the base is outside /local/domain, so the whole
			// path counts.
			long := func(total int) string {
				p := s.Path("L")
				return p + strings.Repeat("x", total-len(p))
			}
			d.Write(long(2048), "fits")
			d.Read(long(2048))
			d.Rm(long(2048))
			d.Write(long(2049), "too long")
			d.Read(long(2049))
			// Below /local/domain/0/ only what follows counts.
			local := func(rel int) string {
				p := "/local/domain/0/xgo-conf-L"
				return p + strings.Repeat("y", rel-(len(p)-len("/local/domain/0/")))
			}
			d.Write(local(2048), "fits")
			d.Read(local(2048))
			d.Rm(local(2048))
			d.Write(local(2049), "too long")
			d.Write(local(3072-len("/local/domain/0/")), "too long")
		},
	})
}
