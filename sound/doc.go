// Package sound provisions, lists and removes para-virtual sound cards
// (vsnd) for guests, using the XenStore layout of Xen's io/sndif.h and the
// bookkeeping libxl keeps under /libxl/<domid>/device/vsnd, so that xl and
// xgo see each other's cards.
//
// A Card is pure data: ParseItems reads xl.cfg's item syntax ("CARD,
// short-name=x", "PCM, name=y", "STREAM, unique-id=z, type=p"), ParseYAML
// the same card as YAML, and Validate checks every rule before anything is
// sent to XenStore; every problem is a *SpecError naming the item (card,
// "pcm 1", "pcm 1 stream 0") and the key.
//
// A Manager acts on one host through a XenStore connection (and, to learn
// which domains exist, the hypervisor):
//
//	m := &sound.Manager{XS: conn, HV: xen}
//	a, err := m.Attach(ctx, sound.AttachRequest{Domain: "guest", Card: card})
//	res, err := m.WaitConnected(ctx, a, sound.DefaultTimeout)
//	_, devs, err := m.List(ctx, "guest")
//	d, err := m.Detach(ctx, sound.DetachRequest{Domain: "guest", DevID: a.DevID})
//
// Attach writes the backend directory (owned by the backend domain,
// readable by the guest), the frontend directory (owned by the guest,
// readable by the backend) with the card, and libxl's record, in one
// transaction run again as a whole while xenstored reports a conflict: all
// or nothing. The device id is the lowest free one. Undo removes what an
// Attach wrote, in one transaction.
//
// Detach runs the xenbus close handshake libxl runs (backend online 0 and
// state Closing, then a bounded wait for an end to reach Closed), then
// removes the three directories in one transaction. What it removes comes
// from nodes only dom0 can write: a guest cannot point it elsewhere.
//
// # Differences from xl
//
//   - Float formats are written with sndif's names (float_le, float64_be);
//     xl writes libxl's (f32_le), which Linux's frontend ignores. xl's names
//     are accepted on input.
//   - The device id is the lowest free one, where libxl takes one more than
//     the last listed.
//   - Attach does not wait for a backend unless asked (WaitConnected), and
//     then removes nothing by itself: the caller decides (Undo).
//   - Validation is stricter than xl's: unknown rates, formats Linux does
//     not know, missing types and unique-ids, duplicate keys and values xl
//     would cut or misread are refused.
//   - libxl's per-domain JSON configuration (the userdata file) is not
//     updated: xl save, restore and migrate do not carry xgo's cards.
package sound
