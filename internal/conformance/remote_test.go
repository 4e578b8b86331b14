package conformance_test

import (
	"context"
	"io"
	"testing"
	"time"

	"xgo.dev/xgo/internal/conformance"
)

// noisy writes a line of console noise before every write, as kernel
// messages on a guest's console would.
type noisy struct{ w io.Writer }

func (n noisy) Write(p []byte) (int, error) {
	if _, err := io.WriteString(n.w, "[  1.0] some kernel message\r\n"); err != nil {
		return 0, err
	}
	return n.w.Write(p)
}

// TestRemoteGuest runs the guest scenarios with the guest's connection
// behind the line protocol the lab uses (Remote in the driver, ServeAgent
// in the guest), over pipes with noise on them: the transcripts must not
// change.
func TestRemoteGuest(t *testing.T) {
	ip, err := conformance.NewInProcess(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ip.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	toAgent, fromDriver := io.Pipe()
	toDriver, fromAgent := io.Pipe()
	agentDone := make(chan error, 1)
	go func() { agentDone <- conformance.ServeAgent(ctx, toAgent, noisy{fromAgent}, ip.Env.DomU) }()
	remote := conformance.NewRemote(toDriver, noisy{fromDriver})
	noise := 0
	remote.Noise = func(string) { noise++ }

	env := *ip.Env
	env.DomU = remote
	for _, sc := range conformance.Scenarios() {
		if !sc.DomU {
			continue
		}
		got, err := conformance.Run(ctx, sc, &env)
		if err != nil {
			t.Fatalf("%s: %v\n%s", sc.Name, err, got)
		}
		if report := conformance.Check(sc, conformance.DaemonInProcess, got); report != "" {
			t.Error(report)
		}
	}
	if r := remote.Do(ctx, conformance.Op{Kind: conformance.OpQuit}); r.Text != "OK" {
		t.Errorf("quit: %q", r.Text)
	}
	if err := <-agentDone; err != nil {
		t.Errorf("ServeAgent: %v", err)
	}
	if noise == 0 {
		t.Error("the driver saw no console noise")
	}
}
