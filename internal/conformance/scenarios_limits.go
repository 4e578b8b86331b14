package conformance

import (
	"context"
	"fmt"
	"strings"

	"xgo.dev/xgo/xenstore"
)

func init() {
	register(&Scenario{
		Name: "limits",
		Doc:  "payload limits (4096 bytes accepted, 4097 refused by the client; a header announcing 4097 makes xenstored drop the connection), and the directory of a node whose child names exceed 4096 bytes (E2BIG, then DIRECTORY_PART)",
		Run: func(s *S) {
			d := s.Dom0()
			p := s.Path("big")
			fill := func(total int) string { return strings.Repeat("v", total-len(p)-1) }
			d.Write(p, fill(4096))
			d.Read(p)
			d.Write(p, fill(4097))
			d.Read(p)
			r := s.Raw("raw")
			r.SendBytes(xenstore.TypeWrite, 0, []byte(p+"\x00"+fill(4096)))
			r.Send(xenstore.TypeRead, 0, p)

			s.Note("a node with 160 children of 30-byte names: 4960 bytes of names")
			dir := s.Path("dir")
			ctx, cancel := context.WithTimeout(s.ctx, opTimeout)
			defer cancel()
			err := d.Local().Conn().Transact(ctx, func(tx *xenstore.Tx) error {
				for i := 0; i < 160; i++ {
					name := fmt.Sprintf("child-%03d-%s", i, strings.Repeat("n", 20))
					if err := tx.Write(ctx, dir+"/"+name, nil); err != nil {
						return err
					}
				}
				return nil
			})
			d.Step("write 160 children of "+dir+" in one transaction", okOr(err))
			big := s.Conn("dom0-dir")
			big.Dir(dir)
			rd := s.Raw("raw-dir")
			rd.Send(xenstore.TypeDirectory, 0, dir)
			r.Send(xenstore.TypeDirectoryPart, 0, dir, "5000")
			d.Rm(dir)
			d.Dir(s.Path(""))

			s.Note("last: a header announcing more than 4096 bytes")
			rb := s.Raw("raw-big")
			rb.SendOversized(xenstore.TypeWrite, 4097)
			rb.Send(xenstore.TypeRead, 0, p)
		},
	})

	register(&Scenario{
		Name: "quota-domu",
		DomU: true,
		Doc:  "a guest's quotas: 11 transactions open at once, the 12th refused; a node record of 2048 bytes (header, permissions, value, children) refused, 2047 accepted",
		Run: func(s *S) {
			d := s.Dom0()
			u := s.DomU()
			u.TxFill(12)
			u.AbortAll()
			u.TxFill(11)
			u.AbortAll()
			d.Mkdir(s.Path("own"))
			d.SetPerms(s.Path("own"), "nU")
			s.Note("record size: 24 bytes of header, 8 per permission entry, the value, the child names")
			u.Write(s.Path("own/big"), strings.Repeat("s", 2015))
			u.Write(s.Path("own/big"), strings.Repeat("s", 2016))
			u.Read(s.Path("own/big"))
			u.Write(s.Path("own/big"), strings.Repeat("s", 2017))
			u.Write(s.Path("own/big"), strings.Repeat("s", 2049))
			u.Write(s.Path("own/new"), strings.Repeat("s", 2016))
			d.Write(s.Path("own/big"), strings.Repeat("s", 3000))
			u.Read(s.Path("own/big"))
			u.Write(s.Path("own/big"), "small")
			u.SetPerms(s.Path("own/big"), "nU", "r0")
			u.Write(s.Path("own/big"), strings.Repeat("s", 2007))
			u.Write(s.Path("own/big"), strings.Repeat("s", 2008))
			t := u.Begin(1)
			t.Write(s.Path("own/big"), strings.Repeat("s", 2008))
			t.Write(s.Path("own/other"), "fine")
			t.Commit()
			u.Read(s.Path("own/other"))
		},
	})

	register(&Scenario{
		Name: "domain",
		Doc:  "GET_DOMAIN_PATH and IS_DOMAIN_INTRODUCED, through the client and with odd arguments sent raw",
		Run: func(s *S) {
			d := s.Dom0()
			d.DomainPath(0)
			d.DomainPath(7)
			d.DomainPath(32752)
			d.Introduced(0)
			d.Introduced(32000)
			d.Introduced(32752)
			r := s.Raw("raw")
			for _, a := range []string{"", "abc", "-1", "12x", " 3", "0x10", "010", "99999999999"} {
				r.Send(xenstore.TypeGetDomainPath, 0, a)
			}
			r.Send(xenstore.TypeGetDomainPath, 0, "1", "2")
			r.SendBytes(xenstore.TypeGetDomainPath, 0, []byte("5"))
			r.Unless(DaemonOCaml, emptyPayloadWhy).SendBytes(xenstore.TypeGetDomainPath, 0, nil)
			for _, a := range []string{"", "abc", "0", "32000", "32752", "-1"} {
				r.Send(xenstore.TypeIsDomainIntroduced, 0, a)
			}
			r.Send(xenstore.TypeIsDomainIntroduced, 0, "0", "1")
		},
	})

	register(&Scenario{
		Name: "errors",
		Doc:  "the XS_ERROR names for malformed requests sent raw: unknown and reserved types, messages only the daemon sends, payloads with a missing or extra NUL",
		Run: func(s *S) {
			d := s.Dom0()
			d.Write(s.Path("x"), "v")
			r := s.Raw("raw")
			for _, t := range []xenstore.MsgType{99, 20, 23, xenstore.TypeWatchEvent, xenstore.TypeError} {
				r.Send(t, 0, s.Path("x"))
			}
			r.SendBytes(xenstore.TypeRead, 0, []byte(s.Path("x")))
			r.SendBytes(xenstore.TypeRead, 0, nil)
			r.Send(xenstore.TypeRead, 0, s.Path("x"), "extra")
			r.SendBytes(xenstore.TypeRead, 0, []byte(s.Path("x")+"\x00\x00"))
			r.SendBytes(xenstore.TypeWrite, 0, []byte(s.Path("x")))
			r.SendBytes(xenstore.TypeWrite, 0, []byte(s.Path("y")+"\x00"))
			r.Send(xenstore.TypeRead, 0, s.Path("y"))
			r.SendBytes(xenstore.TypeWrite, 0, []byte(s.Path("y")+"\x00a\x00b\x00"))
			r.Send(xenstore.TypeRead, 0, s.Path("y"))
			r.SendBytes(xenstore.TypeMkdir, 0, []byte(s.Path("m")))
			r.Send(xenstore.TypeMkdir, 0, s.Path("m"), "extra")
			r.Unless(DaemonOCaml, emptyPayloadWhy).SendBytes(xenstore.TypeRm, 0, nil)
			r.Send(xenstore.TypeDirectory, 0, s.Path("x"), "extra")
			r.Send(xenstore.TypeGetPerms, 0, s.Path("x"), "extra")
			r.Send(xenstore.TypeResetWatches, 0, "")
			r.Send(xenstore.TypeRead, 0, s.Path("x"))
		},
	})
}

// emptyPayloadWhy is why requests with an empty payload are sent to
// oxenstored only once (READ in "errors"): it answers such a request only
// when the next one arrives, so each costs a reply timeout.
const emptyPayloadWhy = "it answers an empty payload only when the next request arrives (see errors)"
