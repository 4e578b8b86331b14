package conformance

import (
	"xgo.dev/xgo/xenstore"
)

func init() {
	register(&Scenario{
		Name: "watch",
		Doc:  "watches: the initial event, one event per change at or below the path, none above or beside it, mkdir of an existing node, set-perms, rm, two tokens on one path, unwatch, duplicates (refused by the client; EEXIST raw), missing and relative paths, the special @ paths",
		Run: func(s *S) {
			d := s.Dom0()
			o := s.Conn("dom0b")
			d.Write(s.Path("w"), "")
			d.Watch(s.Path("w"), "t1")
			o.Write(s.Path("w/a"), "1")
			o.Write(s.Path("w"), "v")
			o.Write(s.Path("w"), "v")
			o.Write(s.Path("sibling"), "")
			o.Write(s.Path("w2"), "")
			o.Write(s.Path(""), "parent")
			o.Mkdir(s.Path("w/a"))
			o.Mkdir(s.Path("w/b/c"))
			o.SetPerms(s.Path("w/a"), "n0")
			o.Read(s.Path("w/a"))
			o.Dir(s.Path("w"))
			o.Rm(s.Path("w/b"))
			o.Rm(s.Path("w/nothing"))
			d.Watch(s.Path("w"), "t2")
			o.Write(s.Path("w/a"), "2")
			d.Watch(s.Path("w"), "t1")
			r := s.Raw("raw")
			r.Send(xenstore.TypeWatch, 0, s.Path("w"), "r1")
			r.Send(xenstore.TypeWatch, 0, s.Path("w"), "r1")
			r.Send(xenstore.TypeWatch, 0, s.Path("w/a"), "r1")
			r.Send(xenstore.TypeUnwatch, 0, s.Path("w"), "nope")
			r.Send(xenstore.TypeUnwatch, 0, s.Path("nowhere"), "r1")
			d.Unwatch(s.Path("w"), "t2")
			o.Write(s.Path("w/a"), "3")
			r.Send(xenstore.TypeUnwatch, 0, s.Path("w"), "r1")
			r.Send(xenstore.TypeUnwatch, 0, s.Path("w/a"), "r1")
			o.Write(s.Path("w/a"), "4")
			d.Watch(s.Path("missing/deep"), "t3")
			o.Write(s.Path("missing/deep/x"), "")
			o.Rm(s.Path("missing"))
			d.Watch("xgo-conf-relw", "rel")
			o.Write("/local/domain/0/xgo-conf-relw/x", "")
			o.Rm("/local/domain/0/xgo-conf-relw")
			d.Unwatch("xgo-conf-relw", "rel")
			d.Watch("@releaseDomain", "rd")
			d.Watch("@introduceDomain", "id")
			d.Unwatch("@releaseDomain", "rd")
			d.Unwatch("@introduceDomain", "id")
			r.Send(xenstore.TypeWatch, 0, "@xgo-unknown", "x")
			r.Send(xenstore.TypeUnwatch, 0, "@xgo-unknown", "x")
			r.Send(xenstore.TypeWatch, 0, s.Path("bad//path"), "x")
			r.Send(xenstore.TypeWatch, 0, s.Path("w"))
			r.Send(xenstore.TypeWatch, 0, s.Path("w"), "x", "extra")
			r.Send(xenstore.TypeWatch, 0, s.Path("w"), "")
			r.Send(xenstore.TypeUnwatch, 0, s.Path("w"), "")
			d.Unwatch(s.Path("w"), "t1")
			d.Unwatch(s.Path("missing/deep"), "t3")
			o.Write(s.Path("w/a"), "5")
		},
	})

	register(&Scenario{
		Name: "watch-order",
		Doc:  "the wire order of replies and events on one connection: the WATCH reply before the initial event, a request's own events before its reply, events of a transaction at its commit",
		Run: func(s *S) {
			d := s.Dom0()
			d.Mkdir(s.Path("o"))
			r := s.Raw("raw")
			r2 := s.Raw("raw2")
			r.Send(xenstore.TypeWatch, 0, s.Path("o"), "w1")
			r2.Send(xenstore.TypeWatch, 0, s.Path("o"), "w2")
			r.SendBytes(xenstore.TypeWrite, 0, []byte(s.Path("o/a")+"\x00v"))
			r.Send(xenstore.TypeMkdir, 0, s.Path("o/b"))
			r.Send(xenstore.TypeSetPerms, 0, s.Path("o/b"), "b0")
			r.Send(xenstore.TypeRm, 0, s.Path("o/b"))
			r.Send(xenstore.TypeWatch, 0, s.Path("o/a"), "w3")
			r2.SendBytes(xenstore.TypeWrite, 0, []byte(s.Path("o/a")+"\x00w"))
			id := r.Begin()
			r.SendBytes(xenstore.TypeWrite, id, []byte(s.Path("o/c")+"\x00in tx"))
			r.SendBytes(xenstore.TypeWrite, id, []byte(s.Path("o/a")+"\x00in tx"))
			r.Send(xenstore.TypeRm, id, s.Path("o/c"))
			r.SendBytes(xenstore.TypeWrite, id, []byte(s.Path("o/d")+"\x00in tx"))
			r.Send(xenstore.TypeTransactionEnd, id, "T")
			d.Write(s.Path("o/a"), "from dom0")
			r.Send(xenstore.TypeResetWatches, 0, "")
			d.Write(s.Path("o/a"), "after reset")
		},
	})

	register(&Scenario{
		Name: "watch-rm",
		Doc:  "RM of a subtree with watches on it, below it, above it and on /: which watches fire for which removed node, in which order; the same in a transaction",
		Run: func(s *S) {
			d := s.Dom0()
			o := s.Conn("dom0b")
			for _, round := range []string{"a", "t"} {
				d.Write(s.Path(round+"/b/c/d"), "")
				d.Write(s.Path(round+"/e"), "")
				d.Watch(s.Path(round), "w-"+round)
				d.Watch(s.Path(round+"/b/c"), "wc-"+round)
				d.Watch(s.Path(round+"/b/c/d"), "wd-"+round)
				d.Watch(s.Path(round+"/x"), "wx-"+round)
				d.Watch(s.Path(""), "wbase-"+round)
				d.Watch("/", "wroot-"+round)
				if round == "a" {
					o.Rm(s.Path("a"))
				} else {
					t := o.Begin(1)
					t.Rm(s.Path("t"))
					t.Commit()
				}
				for _, w := range [][2]string{{round, "w-"}, {round + "/b/c", "wc-"}, {round + "/b/c/d", "wd-"}, {round + "/x", "wx-"}, {"", "wbase-"}} {
					d.Unwatch(s.Path(w[0]), w[1]+round)
				}
				d.Unwatch("/", "wroot-"+round)
			}
		},
	})

	register(&Scenario{
		Name: "watch-domu",
		DomU: true,
		Doc:  "a guest's watches: events only for nodes it may read (or whose parent it may read, or could read before a set-perms), and the watch quota (128: the 129th watch of a domain is accepted, the 130th refused)",
		Run: func(s *S) {
			d := s.Dom0()
			u := s.DomU()
			d.Write(s.Path("pub/a"), "")
			d.SetPerms(s.Path("pub"), "n0", "rU")
			d.Write(s.Path("secret"), "")
			u.Watch(s.Path("pub"), "u1")
			d.Write(s.Path("pub"), "v")
			d.Write(s.Path("pub/a"), "v")
			d.Write(s.Path("pub/a/deep"), "")
			d.Write(s.Path("pub/b"), "")
			u.Watch(s.Path("secret"), "u2")
			d.Write(s.Path("secret"), "x")
			d.SetPerms(s.Path("secret"), "n0", "rU")
			d.Write(s.Path("secret"), "y")
			d.SetPerms(s.Path("secret"), "n0")
			d.Write(s.Path("secret"), "z")
			d.Rm(s.Path("pub/a"))
			d.Rm(s.Path("pub"))
			u.Unwatch(s.Path("pub"), "u1")
			u.Unwatch(s.Path("secret"), "u2")
			d.Write(s.Path("secret"), "after")
			u.Watch("data", "rel")
			d.Write("/local/domain/U/data/xgo-conf-w", "")
			u.Write("data/xgo-conf-w", "by the guest")
			u.Rm("data/xgo-conf-w")
			u.Unwatch("data", "rel")
			u.Watch("@releaseDomain", "rd")
			u.Unwatch("@releaseDomain", "rd")

			s.Note("the watch quota counts every watch of the domain, its kernel's too")
			u.WatchQuota(s.Path("q"), 130)
			u.UnwatchAll()
			u.Watch(s.Path("q"), "after")
			u.Unwatch(s.Path("q"), "after")
		},
	})
}
