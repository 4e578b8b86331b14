package xenstore_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"syscall"
	"testing"

	"xgo.dev/xgo/internal/xenstoretest"
	"xgo.dev/xgo/xenstore"
)

// TestRequestGolden pins the exact bytes the client writes for every
// request type. Each header field is a little-endian u32 on its own line;
// req_id counts from 1 on a new connection. Cases whose request is not the
// connection's first name the index of the message to check.
func TestRequestGolden(t *testing.T) {
	type tc struct {
		name string
		do   func(ctx context.Context, c *xenstore.Conn) error
		idx  int // which request to compare
		want string
	}
	inTx := func(f func(ctx context.Context, tx *xenstore.Tx) error) func(context.Context, *xenstore.Conn) error {
		return func(ctx context.Context, c *xenstore.Conn) error {
			tx, err := c.Begin(ctx) // req 1, answered with id 7
			if err != nil {
				return err
			}
			return f(ctx, tx)
		}
	}
	cases := []tc{{
		name: "CONTROL",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			_, err := c.Control(ctx, "log", "on")
			return err
		},
		want: `
			00 00 00 00 # type   XS_CONTROL (0)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			07 00 00 00 # len    7
			6c 6f 67 00 # "log\0"
			6f 6e 00    # "on\0"`,
	}, {
		name: "DIRECTORY",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			_, err := c.Directory(ctx, "/local")
			return err
		},
		want: `
			01 00 00 00 # type   XS_DIRECTORY (1)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			07 00 00 00 # len    7
			2f 6c 6f 63 61 6c 00 # "/local\0"`,
	}, {
		name: "READ",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			_, err := c.Read(ctx, "/a/b")
			return err
		},
		want: `
			02 00 00 00 # type   XS_READ (2)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			05 00 00 00 # len    5
			2f 61 2f 62 00 # "/a/b\0"`,
	}, {
		name: "READ relative path",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			_, err := c.Read(ctx, "name")
			return err
		},
		want: `
			02 00 00 00 # type   XS_READ (2)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			05 00 00 00 # len    5
			6e 61 6d 65 00 # "name\0"`,
	}, {
		name: "GET_PERMS",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			_, err := c.GetPerms(ctx, "/a")
			return err
		},
		want: `
			03 00 00 00 # type   XS_GET_PERMS (3)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			03 00 00 00 # len    3
			2f 61 00    # "/a\0"`,
	}, {
		name: "WATCH",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			_, err := c.Watch(ctx, "/a", "tk")
			return err
		},
		want: `
			04 00 00 00 # type   XS_WATCH (4)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			06 00 00 00 # len    6
			2f 61 00    # "/a\0"
			74 6b 00    # "tk\0"`,
	}, {
		name: "WATCH @releaseDomain",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			_, err := c.Watch(ctx, "@releaseDomain", "r")
			return err
		},
		want: `
			04 00 00 00 # type   XS_WATCH (4)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			11 00 00 00 # len    17
			40 72 65 6c 65 61 73 65 44 6f 6d 61 69 6e 00 # "@releaseDomain\0"
			72 00       # "r\0"`,
	}, {
		name: "UNWATCH",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			w, err := c.Watch(ctx, "/a", "tk") // req 1
			if err != nil {
				return err
			}
			return w.Close()
		},
		idx: 1,
		want: `
			05 00 00 00 # type   XS_UNWATCH (5)
			02 00 00 00 # req_id 2
			00 00 00 00 # tx_id  0
			06 00 00 00 # len    6
			2f 61 00    # "/a\0"
			74 6b 00    # "tk\0"`,
	}, {
		name: "TRANSACTION_START",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			_, err := c.Begin(ctx)
			return err
		},
		want: `
			06 00 00 00 # type   XS_TRANSACTION_START (6)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			01 00 00 00 # len    1
			00          # "\0"`,
	}, {
		name: "TRANSACTION_END commit",
		do: inTx(func(ctx context.Context, tx *xenstore.Tx) error {
			return tx.Commit(ctx)
		}),
		idx: 1,
		want: `
			07 00 00 00 # type   XS_TRANSACTION_END (7)
			02 00 00 00 # req_id 2
			07 00 00 00 # tx_id  7
			02 00 00 00 # len    2
			54 00       # "T\0"`,
	}, {
		name: "TRANSACTION_END abort",
		do: inTx(func(ctx context.Context, tx *xenstore.Tx) error {
			return tx.Abort(ctx)
		}),
		idx: 1,
		want: `
			07 00 00 00 # type   XS_TRANSACTION_END (7)
			02 00 00 00 # req_id 2
			07 00 00 00 # tx_id  7
			02 00 00 00 # len    2
			46 00       # "F\0"`,
	}, {
		name: "INTRODUCE",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			return c.Introduce(ctx, 5, 0xfeffc, 3)
		},
		want: `
			08 00 00 00 # type   XS_INTRODUCE (8)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			0c 00 00 00 # len    12
			35 00       # "5\0"       domid
			31 30 34 34 34 37 36 00 # "1044476\0" mfn 0xfeffc
			33 00       # "3\0"       event channel`,
	}, {
		name: "RELEASE",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			return c.Release(ctx, 12)
		},
		want: `
			09 00 00 00 # type   XS_RELEASE (9)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			03 00 00 00 # len    3
			31 32 00    # "12\0"`,
	}, {
		name: "GET_DOMAIN_PATH",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			_, err := c.GetDomainPath(ctx, 3)
			return err
		},
		want: `
			0a 00 00 00 # type   XS_GET_DOMAIN_PATH (10)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			02 00 00 00 # len    2
			33 00       # "3\0"`,
	}, {
		name: "WRITE",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			return c.Write(ctx, "/a", []byte("xy"))
		},
		want: `
			0b 00 00 00 # type   XS_WRITE (11)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			05 00 00 00 # len    5
			2f 61 00    # "/a\0"
			78 79       # "xy"  the value has no terminating NUL`,
	}, {
		name: "WRITE empty value in transaction",
		do: inTx(func(ctx context.Context, tx *xenstore.Tx) error {
			return tx.Write(ctx, "/a", nil)
		}),
		idx: 1,
		want: `
			0b 00 00 00 # type   XS_WRITE (11)
			02 00 00 00 # req_id 2
			07 00 00 00 # tx_id  7
			03 00 00 00 # len    3
			2f 61 00    # "/a\0"  and an empty value`,
	}, {
		name: "MKDIR",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			return c.Mkdir(ctx, "/d")
		},
		want: `
			0c 00 00 00 # type   XS_MKDIR (12)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			03 00 00 00 # len    3
			2f 64 00    # "/d\0"`,
	}, {
		name: "RM",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			return c.Rm(ctx, "/d")
		},
		want: `
			0d 00 00 00 # type   XS_RM (13)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			03 00 00 00 # len    3
			2f 64 00    # "/d\0"`,
	}, {
		name: "SET_PERMS",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			return c.SetPerms(ctx, "/d", xenstore.Perms{{Access: xenstore.AccessNone, Domain: 3}, {Access: xenstore.AccessRead, Domain: 0}})
		},
		want: `
			0e 00 00 00 # type   XS_SET_PERMS (14)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			09 00 00 00 # len    9
			2f 64 00    # "/d\0"
			6e 33 00    # "n3\0"  owner 3, others none
			72 30 00    # "r0\0"  dom0 may read`,
	}, {
		name: "IS_DOMAIN_INTRODUCED",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			_, err := c.IsDomainIntroduced(ctx, 65535)
			return err
		},
		want: `
			11 00 00 00 # type   XS_IS_DOMAIN_INTRODUCED (17)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			06 00 00 00 # len    6
			36 35 35 33 35 00 # "65535\0"`,
	}, {
		name: "RESUME",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			return c.Resume(ctx, 4)
		},
		want: `
			12 00 00 00 # type   XS_RESUME (18)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			02 00 00 00 # len    2
			34 00       # "4\0"`,
	}, {
		name: "SET_TARGET",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			return c.SetTarget(ctx, 6, 5)
		},
		want: `
			13 00 00 00 # type   XS_SET_TARGET (19)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			04 00 00 00 # len    4
			36 00       # "6\0"  the stub domain
			35 00       # "5\0"  its target`,
	}, {
		name: "RESET_WATCHES",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			return c.ResetWatches(ctx)
		},
		want: `
			15 00 00 00 # type   XS_RESET_WATCHES (21)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			01 00 00 00 # len    1
			00          # "\0"`,
	}, {
		name: "DIRECTORY_PART",
		do: func(ctx context.Context, c *xenstore.Conn) error {
			_, err := c.Directory(ctx, "/big") // DIRECTORY gets E2BIG
			return err
		},
		idx: 1,
		want: `
			16 00 00 00 # type   XS_DIRECTORY_PART (22)
			02 00 00 00 # req_id 2
			00 00 00 00 # tx_id  0
			07 00 00 00 # len    7
			2f 62 69 67 00 # "/big\0"
			30 00       # "0\0"  byte offset into the child list`,
	}, {
		name: "DIRECTORY_PART in transaction",
		do: inTx(func(ctx context.Context, tx *xenstore.Tx) error {
			_, err := tx.Directory(ctx, "/big") // req 2 gets E2BIG
			return err
		}),
		idx: 2,
		want: `
			16 00 00 00 # type   XS_DIRECTORY_PART (22)
			03 00 00 00 # req_id 3
			07 00 00 00 # tx_id  7
			07 00 00 00 # len    7
			2f 62 69 67 00 # "/big\0"
			30 00       # "0\0"`,
	}}

	seen := map[xenstore.MsgType]bool{}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			h := func(req *xenstore.Message) []*xenstore.Message {
				if req.Type == xenstore.TypeDirectory && bytes.HasPrefix(req.Payload, []byte("/big\x00")) {
					return []*xenstore.Message{xenstoretest.Error(req, "E2BIG")}
				}
				return typeHandler(req)
			}
			c, p := dialFake(t, h, nil)
			if err := tt.do(testCtx(t), c); err != nil {
				t.Fatalf("call failed: %v", err)
			}
			raw := p.Raw()
			if len(raw) <= tt.idx {
				t.Fatalf("peer got %d messages, want at least %d", len(raw), tt.idx+1)
			}
			want := hexBytes(t, tt.want)
			if got := raw[tt.idx]; !bytes.Equal(got, want) {
				t.Fatalf("request bytes:\n got [% x]\nwant [% x]", got, want)
			}
			// The codec must agree with what went over the wire.
			var m xenstore.Message
			if err := m.UnmarshalBinary(want); err != nil {
				t.Fatal(err)
			}
			seen[m.Type] = true
		})
	}
	for typ := xenstore.TypeControl; typ <= xenstore.TypeDirectoryPart; typ++ {
		switch typ {
		case xenstore.TypeWatchEvent, xenstore.TypeError, 20: // replies only; 20 is the removed XS_RESTRICT
			continue
		}
		if !seen[typ] {
			t.Errorf("no golden request for %s", typ)
		}
	}
}

// TestReplyGolden feeds hand-written reply bytes to the client and checks
// what each method makes of them. Every reply answers req_id 1, the first
// request of a new connection.
func TestReplyGolden(t *testing.T) {
	cases := []struct {
		name  string
		reply string
		do    func(ctx context.Context, c *xenstore.Conn) (any, error)
		want  any
		// wantErr, if set, is checked with errors.Is and wantName against
		// the *Error's Name.
		wantErr  error
		wantName string
	}{{
		name: "READ value without NUL",
		reply: `
			02 00 00 00 # type   XS_READ
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			05 00 00 00 # len    5
			68 65 6c 6c 6f # "hello"`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			v, err := c.Read(ctx, "/a")
			return string(v), err
		},
		want: "hello",
	}, {
		name: "READ binary value",
		reply: `
			02 00 00 00 # type   XS_READ
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			03 00 00 00 # len    3
			00 ff 00    # NULs are part of the value`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			v, err := c.Read(ctx, "/a")
			return v, err
		},
		want: []byte{0, 0xff, 0},
	}, {
		name: "DIRECTORY",
		reply: `
			01 00 00 00 # type   XS_DIRECTORY
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			07 00 00 00 # len    7
			30 00       # "0\0"
			31 00       # "1\0"
			31 30 00    # "10\0"`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			return c.Directory(ctx, "/local/domain")
		},
		want: []string{"0", "1", "10"},
	}, {
		name: "DIRECTORY empty",
		reply: `
			01 00 00 00 # type   XS_DIRECTORY
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			00 00 00 00 # len    0`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			d, err := c.Directory(ctx, "/leaf")
			return len(d), err
		},
		want: 0,
	}, {
		name: "GET_PERMS",
		reply: `
			03 00 00 00 # type   XS_GET_PERMS
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			06 00 00 00 # len    6
			6e 30 00    # "n0\0"
			72 35 00    # "r5\0"`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			return c.GetPerms(ctx, "/a")
		},
		want: xenstore.Perms{{Access: xenstore.AccessNone, Domain: 0}, {Access: xenstore.AccessRead, Domain: 5}},
	}, {
		name: "TRANSACTION_START",
		reply: `
			06 00 00 00 # type   XS_TRANSACTION_START
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			03 00 00 00 # len    3
			34 32 00    # "42\0"`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			tx, err := c.Begin(ctx)
			if err != nil {
				return nil, err
			}
			return tx.ID(), nil
		},
		want: uint32(42),
	}, {
		name: "GET_DOMAIN_PATH",
		reply: `
			0a 00 00 00 # type   XS_GET_DOMAIN_PATH
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			10 00 00 00 # len    16
			2f 6c 6f 63 61 6c 2f 64 6f 6d 61 69 6e 2f 37 00 # "/local/domain/7\0"`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			return c.GetDomainPath(ctx, 7)
		},
		want: "/local/domain/7",
	}, {
		name: "IS_DOMAIN_INTRODUCED false",
		reply: `
			11 00 00 00 # type   XS_IS_DOMAIN_INTRODUCED
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			02 00 00 00 # len    2
			46 00       # "F\0"`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			return c.IsDomainIntroduced(ctx, 9)
		},
		want: false,
	}, {
		name: "WRITE OK",
		reply: `
			0b 00 00 00 # type   XS_WRITE
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			03 00 00 00 # len    3
			4f 4b 00    # "OK\0"`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			return nil, c.Write(ctx, "/a", []byte("v"))
		},
		want: nil,
	}, {
		name: "CONTROL",
		reply: `
			00 00 00 00 # type   XS_CONTROL
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			03 00 00 00 # len    3
			4f 4b 00    # "OK\0"`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			v, err := c.Control(ctx, "print", "x")
			return string(v), err
		},
		want: "OK",
	}, {
		name: "ERROR ENOENT",
		reply: `
			10 00 00 00 # type   XS_ERROR (16)
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			07 00 00 00 # len    7
			45 4e 4f 45 4e 54 00 # "ENOENT\0"`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			return c.Read(ctx, "/missing")
		},
		wantErr:  xenstore.ErrNotExist,
		wantName: "ENOENT",
	}, {
		name: "ERROR EACCES",
		reply: `
			10 00 00 00 # type   XS_ERROR
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			07 00 00 00 # len    7
			45 41 43 43 45 53 00 # "EACCES\0"`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			return nil, c.Write(ctx, "/tool", []byte("x"))
		},
		wantErr:  xenstore.ErrPermission,
		wantName: "EACCES",
	}, {
		name: "ERROR EAGAIN at commit",
		reply: `
			10 00 00 00 # type   XS_ERROR
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			07 00 00 00 # len    7
			45 41 47 41 49 4e 00 # "EAGAIN\0"`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			return c.Begin(ctx)
		},
		wantErr:  syscall.EAGAIN,
		wantName: "EAGAIN",
	}, {
		name: "ERROR unknown name",
		reply: `
			10 00 00 00 # type   XS_ERROR
			01 00 00 00 # req_id 1
			00 00 00 00 # tx_id  0
			06 00 00 00 # len    6
			45 57 48 41 54 00 # "EWHAT\0" is not in xsd_errors: EINVAL`,
		do: func(ctx context.Context, c *xenstore.Conn) (any, error) {
			return c.Read(ctx, "/a")
		},
		wantErr:  xenstore.ErrInvalid,
		wantName: "EWHAT",
	}}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			raw := hexBytes(t, tt.reply)
			checkFraming(t, raw)
			var p *xenstoretest.Peer
			c, p := dialFake(t, func(*xenstore.Message) []*xenstore.Message {
				if err := p.SendRaw(raw); err != nil {
					t.Errorf("send: %v", err)
				}
				return nil
			}, nil)
			got, err := tt.do(testCtx(t), c)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				var xe *xenstore.Error
				if !errors.As(err, &xe) || xe.Name != tt.wantName {
					t.Fatalf("err = %#v, want *Error named %s", err, tt.wantName)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestWatchEventGolden sends a hand-written WATCH_EVENT after the WATCH
// reply and checks it arrives decoded.
func TestWatchEventGolden(t *testing.T) {
	event := `
		0f 00 00 00 # type   XS_WATCH_EVENT (15)
		00 00 00 00 # req_id 0 (unsolicited)
		00 00 00 00 # tx_id  0
		0b 00 00 00 # len    11
		2f 61 2f 62 00 # "/a/b\0"  the node that changed
		74 6f 6b 65 6e 00 # "token\0"`
	checkFraming(t, hexBytes(t, event))
	var p *xenstoretest.Peer
	c, p := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
		if req.Type == xenstore.TypeWatch {
			p.Send(xenstoretest.OK(req))
			p.SendRaw(hexBytes(t, event))
		}
		return nil
	}, nil)
	w, err := c.Watch(testCtx(t), "/a", "token")
	if err != nil {
		t.Fatal(err)
	}
	ev := recvEvent(t, w)
	if want := (xenstore.WatchEvent{Path: "/a/b", Token: "token"}); ev != want {
		t.Fatalf("event = %+v, want %+v", ev, want)
	}
}

// TestDirectoryPartGolden walks a long child list delivered in three
// DIRECTORY_PART replies.
func TestDirectoryPartGolden(t *testing.T) {
	replies := map[string]string{
		"0": `
			16 00 00 00 # type   XS_DIRECTORY_PART
			XX 00 00 00 # req_id (patched)
			00 00 00 00 # tx_id  0
			08 00 00 00 # len    8
			39 00       # "9\0"    generation
			61 61 00    # "aa\0"
			62 62 00    # "bb\0"`,
		"6": `
			16 00 00 00 # type   XS_DIRECTORY_PART
			XX 00 00 00 # req_id (patched)
			00 00 00 00 # tx_id  0
			05 00 00 00 # len    5
			39 00       # "9\0"    generation
			63 63 00    # "cc\0"  not the end: a single NUL`,
		"9": `
			16 00 00 00 # type   XS_DIRECTORY_PART
			XX 00 00 00 # req_id (patched)
			00 00 00 00 # tx_id  0
			05 00 00 00 # len    5
			39 00       # "9\0"    generation
			64 00       # "d\0"
			00          # "\0"    empty name: end of list`,
	}
	for _, r := range replies {
		checkFraming(t, hexBytes(t, stringsReplaceXX(r, 1)))
	}
	var p *xenstoretest.Peer
	c, p := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
		if req.Type == xenstore.TypeDirectory {
			return []*xenstore.Message{xenstoretest.Error(req, "E2BIG")}
		}
		args := xenstoretest.Args(req)
		r, ok := replies[args[1]]
		if !ok {
			t.Errorf("unexpected offset %q", args[1])
			return []*xenstore.Message{xenstoretest.Error(req, "EINVAL")}
		}
		p.SendRaw(hexBytes(t, stringsReplaceXX(r, req.ReqID)))
		return nil
	}, nil)
	got, err := c.Directory(testCtx(t), "/big")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"aa", "bb", "cc", "d"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func stringsReplaceXX(s string, id uint32) string {
	return string(bytes.Replace([]byte(s), []byte("XX"), []byte{hexDigit(id >> 4), hexDigit(id & 15)}, 1))
}

func hexDigit(v uint32) byte { return "0123456789abcdef"[v&15] }

// TestUnmarshalGolden decodes ERROR and WATCH_EVENT messages with the
// codec directly.
func TestUnmarshalGolden(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want xenstore.Message
	}{{
		name: "ERROR",
		raw: `
			10 00 00 00 # type   XS_ERROR
			2a 00 00 00 # req_id 42
			05 00 00 00 # tx_id  5
			07 00 00 00 # len    7
			45 41 47 41 49 4e 00 # "EAGAIN\0"`,
		want: xenstore.Message{Type: xenstore.TypeError, ReqID: 42, TxID: 5, Payload: []byte("EAGAIN\x00")},
	}, {
		name: "WATCH_EVENT",
		raw: `
			0f 00 00 00 # type   XS_WATCH_EVENT
			00 00 00 00 # req_id 0
			00 00 00 00 # tx_id  0
			13 00 00 00 # len    19
			40 69 6e 74 72 6f 64 75 63 65 44 6f 6d 61 69 6e 00 # "@introduceDomain\0"
			31 00       # "1\0"`,
		want: xenstore.Message{Type: xenstore.TypeWatchEvent, Payload: []byte("@introduceDomain\x001\x00")},
	}}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			raw := hexBytes(t, tt.raw)
			var m xenstore.Message
			if err := m.UnmarshalBinary(raw); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, tt.want) {
				t.Fatalf("got %+v, want %+v", m, tt.want)
			}
			b, err := tt.want.MarshalBinary()
			if err != nil || !bytes.Equal(b, raw) {
				t.Fatalf("marshal: [% x], %v; want [% x]", b, err, raw)
			}
		})
	}
}

// checkFraming makes sure a hand-written message's len field matches its
// payload, so that a counting mistake fails instead of hanging the reader.
func checkFraming(t testing.TB, raw []byte) {
	t.Helper()
	var m xenstore.Message
	if err := m.UnmarshalBinary(raw); err != nil {
		t.Fatalf("golden message is malformed: %v", err)
	}
}
