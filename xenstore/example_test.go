package xenstore_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenstored"
)

// Example talks to the in-process daemon over an in-memory pipe; with a
// real Xen host, xenstore.Dial(nil) replaces the first lines.
func Example() {
	srv := xenstored.New(nil)
	defer srv.Close()
	client, server := net.Pipe()
	go srv.ServeConn(server, 0) // a connection acting as dom0

	c := xenstore.NewConn(client, nil)
	defer c.Close()
	ctx := context.Background()

	// Watch the pool names; xenstored fires a new watch once at once.
	w, err := c.Watch(ctx, "/local/pool", "pools")
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	fmt.Println("event:", (<-w.Events()).Path)

	// Create two pools in one transaction, retried if it conflicts.
	err = c.Transact(ctx, func(tx *xenstore.Tx) error {
		for id, name := range []string{"Pool-0", "Pool-node1"} {
			if err := tx.Write(ctx, fmt.Sprintf("/local/pool/%d/name", id), []byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("event:", (<-w.Events()).Path)
	fmt.Println("event:", (<-w.Events()).Path)

	ids, err := c.Directory(ctx, "/local/pool")
	if err != nil {
		log.Fatal(err)
	}
	for _, id := range ids {
		name, err := c.Read(ctx, "/local/pool/"+id+"/name")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("pool %s: %s\n", id, name)
	}

	_, err = c.Read(ctx, "/local/pool/7/name")
	fmt.Println(err)
	// Output:
	// event: /local/pool
	// event: /local/pool/0/name
	// event: /local/pool/1/name
	// pool 0: Pool-0
	// pool 1: Pool-node1
	// xenstore READ /local/pool/7/name: ENOENT (no such file or directory)
}

// ExampleConn_Transact shows the shape of code that works inside or
// outside a transaction by taking an xenstore.Ops.
func ExampleConn_Transact() {
	srv := xenstored.New(nil)
	defer srv.Close()
	client, server := net.Pipe()
	go srv.ServeConn(server, 0)
	c := xenstore.NewConn(client, nil)
	defer c.Close()
	ctx := context.Background()

	rename := func(ops xenstore.Ops, pool, name string) error {
		return ops.Write(ctx, "/local/pool/"+pool+"/name", []byte(name))
	}
	if err := rename(c, "0", "Pool-0"); err != nil { // outside a transaction
		log.Fatal(err)
	}
	err := c.Transact(ctx, func(tx *xenstore.Tx) error {
		old, err := tx.Read(ctx, "/local/pool/0/name")
		if err != nil {
			return err
		}
		return rename(tx, "0", string(old)+"-main") // inside one
	})
	if err != nil {
		log.Fatal(err)
	}
	v, _ := c.Read(ctx, "/local/pool/0/name")
	fmt.Println(string(v))
	// Output: Pool-0-main
}
