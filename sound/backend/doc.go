// Package backend is a para-virtual sound backend (the other half of a
// vsnd device, which xl and package sound only provision): it serves
// the vsnd devices whose backend directory is under
// /local/domain/<self>/backend/vsnd, speaking Xen's io/sndif.h protocol
// (package sndif) to guests' frontends, Linux's snd-xen-front above all.
//
//	b := backend.New(backend.Config{XS: conn, Grants: g, Events: ev, WAVDir: dir})
//	err := b.Run(ctx) // until ctx ends: every device Closed, WAV files final
//
// # Devices
//
// Run watches the backend tree and @releaseDomain. Each device runs the
// xenbus state machine in its own goroutine: when the frontend is
// Initialising, the backend writes versions ("1,2") and switches to
// InitWait; when the frontend is Initialised it reads the card (PCM
// devices and streams counted from 0 as Linux does, parameters inherited
// card → PCM → stream, Linux's defaults where none are set), reads each
// stream's ring-ref, event-channel, evt-ring-ref and evt-event-channel,
// maps both pages through Grants, binds both ports through Events and
// switches to Connected. The frontend Closing, Closed or gone, its domain
// released (IS_DOMAIN_INTRODUCED false after @releaseDomain), or the
// backend's online node 0: every stream is stopped, unbound and unmapped
// and the state goes to Closing or Closed as the frontend's does. A
// frontend that comes back to Initialising is served again.
//
// A device whose transport cannot be mapped or bound, or whose guest
// breaks a ring (a producer index more than a ring ahead), is torn down
// with its error in error/backend/vsnd/<fe>/<devid>/error and state
// Closed; Linux's frontend then starts again from Initialising, and the
// backend answers with InitWait after a pause (250 ms, doubled at every
// failure, at most 30 s). Nothing a guest writes can affect another
// guest's devices: each stream has its own goroutine, every index and
// offset is checked, and mapping a bad grant is an error status.
//
// # Streams
//
// Requests are answered as sndif.h says, with negative Xen errnos:
// OPEN checks the format, rate, channels, buffer_sz (at most the
// stream's buffer-size and MaxBufferSize) and period_sz, reads the page
// directory (at most the pages the buffer needs: loops and short
// directories are EINVAL) and maps the buffer (EFAULT when a grant is
// bad); READ and WRITE must lie inside the buffer; TRIGGER starts,
// pauses, resumes and stops the stream's clock; HW_PARAM_QUERY answers
// the intersection of the query with the stream's formats, rates,
// channels and the frames its buffer-size holds; SET_VOLUME, GET_VOLUME,
// MUTE and UNMUTE are kept and reported back but not applied to the
// samples (the WAV file holds exactly what the guest played); anything
// else is EOPNOTSUPP.
//
// A running stream's position advances in real time at its rate, as a
// card's DMA pointer does, whether or not the guest wrote that far (the
// guest's ALSA then sees an underrun, as with a card). A CUR_POS event
// goes on the event page each time the position passes a period_sz
// boundary, strictly: Linux's frontend signals a period only when more
// than period_size frames came since the last signal. Event ids count
// from 0 for each connection, as the frontend checks. The position
// counts octets from OPEN.
//
// # Sinks and sources
//
// The admin's record of the card (card/ below the backend directory,
// written by xgo vsnd-attach) routes each stream, by the grammar of
// package route: wav:<file>, tone:<Hz>, silence, null, anything else the
// default. The frontend's unique-id is never read for routing; a card
// without a record (xl's) takes the default for every stream, and a
// frontend showing streams or ranges beyond the record is refused. Each
// guest's files live in its own directory below Config.WAVDir, opened
// without following links, non-blocking, regular files only. Playback
// WAV files hold the samples converted losslessly to WAV's layout (8-bit
// unsigned, wider signed little-endian, floats as IEEE float, µ-law and
// A-law as such, 24-bit samples left-aligned in 32 bits with
// WAVE_FORMAT_EXTENSIBLE): a little-endian signed 16 or 32-bit stream is
// written byte for byte. Each OPEN starts a new file; CLOSE writes its
// final RIFF sizes.
//
// # Bounds
//
// A guest writes at most one buffer ahead of its stream's clock, holds
// at most Config.WAVQuota bytes of files and Config.MaxGrantPages mapped
// pages; token buckets bound its notifications, requests, state changes
// and log lines (limits.go). docs/vsnd-backend.md has the threat model.
//
// # Hosts
//
// On a real host Grants is /dev/xen/gntdev and Events /dev/xen/evtchn
// (package hypercall); package simguest provides both in memory, with
// a test frontend.
package backend
