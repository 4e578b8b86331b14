package conformance

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"xgo.dev/xgo/xenstore"
)

func init() {
	register(&Scenario{
		Name: "tx",
		Doc:  "one transaction at a time: isolation until commit, abort, use after the end, errors inside; raw: nested start, unknown ids, bad TRANSACTION_END arguments",
		Run: func(s *S) {
			d := s.Dom0()
			o := s.Conn("dom0b")
			d.Write(s.Path("x"), "0")
			t := d.Begin(1)
			t.Read(s.Path("x"))
			t.Write(s.Path("x"), "1")
			t.Read(s.Path("x"))
			o.Read(s.Path("x"))
			t.Write(s.Path("new/deep"), "n")
			t.Dir(s.Path(""))
			o.Read(s.Path("new"))
			o.Dir(s.Path(""))
			t.Commit()
			o.Read(s.Path("x"))
			o.Read(s.Path("new/deep"))
			t.Read(s.Path("x"))
			t.Commit()

			t = d.Begin(2)
			t.Write(s.Path("x"), "2")
			t.Rm(s.Path("new"))
			t.Read(s.Path("new/deep"))
			t.Abort()
			d.Read(s.Path("x"))
			d.Read(s.Path("new/deep"))

			t = d.Begin(3)
			t.Rm(s.Path("new"))
			t.Rm(s.Path("new"))
			t.Rm(s.Path("gone/deeper"))
			t.Dir(s.Path(""))
			t.Commit()
			d.Dir(s.Path(""))

			t = d.Begin(4)
			t.Read(s.Path("missing"))
			t.Write(s.Path("a//b"), "x")
			t.Mkdir(s.Path("made"))
			t.SetPerms(s.Path("made"), "r0")
			t.GetPerms(s.Path("made"))
			t.Commit()
			d.GetPerms(s.Path("made"))

			r := s.Raw("raw")
			id := r.Begin()
			r.Send(xenstore.TypeTransactionStart, id, "")
			r.Send(xenstore.TypeWrite, id, s.Path("raw"), "in tx")
			r.Send(xenstore.TypeRead, 0, s.Path("raw"))
			r.Send(xenstore.TypeTransactionEnd, id, "X")
			r.Send(xenstore.TypeTransactionEnd, id, "")
			r.Send(xenstore.TypeTransactionEnd, id, "TT")
			r.Send(xenstore.TypeTransactionEnd, id, "T")
			r.Send(xenstore.TypeRead, 0, s.Path("raw"))
			r.Send(xenstore.TypeTransactionEnd, id, "T")
			r.Send(xenstore.TypeRead, id, s.Path("raw"))
			r.Send(xenstore.TypeTransactionEnd, 0, "T")
			r.Send(xenstore.TypeRead, 0x7ffffff0, s.Path("x"))
			r.Send(xenstore.TypeWatch, 0x7ffffff0, s.Path("x"), "tok")
			r.Send(xenstore.TypeUnwatch, 0x7ffffff0, s.Path("x"), "tok")
		},
	})

	register(&Scenario{
		Name: "tx-conflict",
		Doc:  "two transactions: the same node written by both (the second commit gets EAGAIN), different existing nodes (both commit), a node read in a transaction and changed outside, new siblings created in two transactions",
		Run: func(s *S) {
			a := s.Dom0()
			b := s.Conn("dom0b")
			a.Write(s.Path("x"), "0")
			a.Write(s.Path("y1"), "0")
			a.Write(s.Path("y2"), "0")
			a.Mkdir(s.Path("s"))

			s.Note("the same node written in two transactions")
			ta, tb := a.Begin(1), b.Begin(2)
			ta.Read(s.Path("x"))
			tb.Read(s.Path("x"))
			ta.Write(s.Path("x"), "a")
			tb.Write(s.Path("x"), "b")
			ta.Commit()
			tb.Commit()
			a.Read(s.Path("x"))

			s.Note("different existing nodes")
			ta, tb = a.Begin(3), b.Begin(4)
			ta.Write(s.Path("y1"), "a")
			tb.Write(s.Path("y2"), "b")
			ta.Commit()
			tb.Commit()
			a.Read(s.Path("y1"))
			a.Read(s.Path("y2"))

			s.Note("new siblings of one parent")
			ta, tb = a.Begin(6), b.Begin(7)
			ta.Write(s.Path("s/one"), "1")
			tb.Write(s.Path("s/two"), "2")
			ta.Commit()
			tb.Commit()
			a.Dir(s.Path("s"))

			s.Note("read in a transaction, changed outside")
			t := a.Begin(8)
			t.Read(s.Path("x"))
			b.Write(s.Path("x"), "outside")
			t.Write(s.Path("y1"), "t")
			t.Commit()
			a.Read(s.Path("y1"))

			s.Note("written in a transaction, changed outside")
			t = a.Begin(9)
			t.Write(s.Path("y2"), "t")
			b.Write(s.Path("y2"), "outside")
			t.Commit()
			a.Read(s.Path("y2"))

			s.Note("a missing node read in a transaction, created outside")
			t = a.Begin(10)
			t.Read(s.Path("later"))
			b.Write(s.Path("later"), "outside")
			t.Write(s.Path("y1"), "t")
			t.Commit()

			s.Note("an unrelated node changed outside")
			t = a.Begin(11)
			t.Read(s.Path("y1"))
			t.Write(s.Path("y1"), "t11")
			b.Write(s.Path("unrelated/node"), "outside")
			t.Commit()
			a.Read(s.Path("y1"))
		},
	})

	register(&Scenario{
		Name: "transact",
		Doc:  "the client's Transact helper: a conflict on the first attempt is retried and the second succeeds; an error of the function aborts without retrying",
		Run: func(s *S) {
			a := s.Dom0()
			b := s.Conn("dom0b")
			a.Write(s.Path("counter"), "0")
			ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
			defer cancel()
			conn := a.Local().Conn()
			other := b.Local().Conn()
			attempts := 0
			err := conn.Transact(ctx, func(tx *xenstore.Tx) error {
				attempts++
				v, err := tx.Read(ctx, s.Path("counter"))
				if err != nil {
					return err
				}
				n, _ := strconv.Atoi(string(v))
				if attempts == 1 {
					if err := other.Write(ctx, s.Path("counter"), []byte("10")); err != nil {
						return err
					}
				}
				return tx.Write(ctx, s.Path("counter"), []byte(strconv.Itoa(n+1)))
			})
			a.Step("transact: read counter, (dom0b writes 10 during attempt 1), write counter+1",
				fmt.Sprintf("%s after %d attempts", okOr(err), attempts))
			a.Read(s.Path("counter"))

			attempts = 0
			boom := errors.New("boom")
			err = conn.Transact(ctx, func(tx *xenstore.Tx) error {
				attempts++
				if err := tx.Write(ctx, s.Path("counter"), []byte("99")); err != nil {
					return err
				}
				return boom
			})
			res := "returned the function's error"
			if !errors.Is(err, boom) {
				res = okOr(err)
			}
			a.Step("transact: write counter 99, then fail", fmt.Sprintf("%s after %d attempts", res, attempts))
			a.Read(s.Path("counter"))
		},
	})
}
