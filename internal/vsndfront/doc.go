// Package vsndfront simulates a guest's para-virtual sound frontend, the
// Linux driver snd-xen-front (sound/xen/ in Linux 6.1) with the xenbus
// frontend bus around it, over a XenStore connection that acts as the
// guest (xensim.Sim.XenStoreAs(domid)).
//
// A Frontend watches the guest's device/vsnd directory. For every device
// that appears in state Initialising it reads backend and backend-id,
// checks that the backend directory exists, and watches the backend's
// state, then follows the driver's state machine (sndback_changed):
//
//   - backend InitWait: read the card as xen_snd_front_cfg.c does, allocate
//     a request and an event channel (a grant reference and an event
//     channel port each) per stream, publish ring-ref, event-channel,
//     evt-ring-ref and evt-event-channel of every stream in one
//     transaction, run again as a whole on EAGAIN, and switch to
//     Initialised;
//   - backend Connected while Initialised: switch to Connected;
//   - backend Closing: nothing, as snd-xen-front (Options.CloseOnClosing
//     switches to Closed instead, as netfront and blkfront do);
//   - backend Closed, Unknown or Initialising: free the channels and go
//     back to Initialising;
//   - the device's directory removed: the driver's remove, which waits up
//     to a second for the backend to reach InitWait, frees everything and
//     switches to Closed; as in Linux, that last write lands in a device
//     attached at the same path in the meantime.
//
// Freeing channels reports "22 freeing event channel <port>" in the
// device's error node for every port, as Linux 6.1 does (it closes each
// port twice; seen in the lab).
//
// The configuration is checked as Linux checks it, independently of
// xgo's own validator (package sound): no PCM device is ENODEV, a stream
// without a type or with a type other than p or c is EINVAL, and such an
// error is reported as xenbus_dev_fatal does ("19 initializing frontend"
// in error/device/vsnd/<devid>/error, and state Closing). What Linux
// ignores is ignored: rates and formats it does not know, streams past the
// eighth of a PCM, PCM devices past the eighth; a channel minimum above
// the maximum is lowered.
//
// Grant references and ports are plausible, not real: the lowest free
// from Options.FirstGrant and Options.FirstPort (8 and 8, what the lab's
// guest gave), freed on disconnect.
package vsndfront
