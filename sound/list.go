package sound

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenbus"
)

// End is one end of a device as XenStore shows it.
type End struct {
	Domain Domain
	Path   string
	State  State
	// HasState is false when the state node is missing (or the path is
	// unknown).
	HasState bool
}

// Transport is what a frontend published for one stream: the grant
// references of its request and event rings and their event channels.
// A nil field was not published (or is not a number).
type Transport struct {
	RingRef         *uint32
	EventChannel    *uint32
	EvtRingRef      *uint32
	EvtEventChannel *uint32
}

// Published reports whether the frontend published all four values.
func (t Transport) Published() bool {
	return t.RingRef != nil && t.EventChannel != nil && t.EvtRingRef != nil && t.EvtEventChannel != nil
}

// DeviceInfo is one vsnd device as vsnd-list shows it.
type DeviceInfo struct {
	DevID    int
	Frontend End
	Backend  End
	// Libxl reports whether libxl's record /libxl/<domid>/device/vsnd/<devid>
	// exists; xl vsnd-list shows only devices that have one.
	Libxl bool
	// Card is the configuration: the admin's record below the backend
	// directory (Recorded) when there is one, else what the frontend
	// directory shows, which the guest may have changed. Formats are as
	// written (xl writes f32_le where sndif says float_le).
	Card Card
	// Recorded reports that Card is the admin's record, written by xgo
	// vsnd-attach where only the backend's domain can write; cards
	// attached by xl have none.
	Recorded bool

	Streams [][]StreamInfo // per PCM, per stream: what is not configuration
	// Problems are nodes that could not be understood.
	Problems []string
}

// StreamInfo is what a stream has besides its configuration.
type StreamInfo struct {
	Transport Transport
}

// List returns the vsnd devices of the domain q names, by device id: those
// with libxl's record and those with only a frontend directory. All of a
// domain's nodes are read in one transaction, so the picture is
// consistent.
func (m *Manager) List(ctx context.Context, q string) (Domain, []DeviceInfo, error) {
	doms, err := m.Domains(ctx)
	if err != nil {
		return Domain{}, nil, err
	}
	d, err := resolveDomain(doms, q)
	if err != nil {
		return Domain{}, nil, err
	}
	var out []DeviceInfo
	err = m.transact(ctx, func(tx *xenstore.Tx) error {
		out = nil
		ids, err := deviceIDs(ctx, tx, d.ID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			dev, err := readDevice(ctx, tx, d, id, doms)
			if err != nil {
				return err
			}
			out = append(out, dev)
		}
		return nil
	})
	if err != nil {
		return d, nil, fmt.Errorf("reading the vsnd devices of %s: %w", d.Label(), err)
	}
	return d, out, nil
}

// deviceIDs lists the device ids libxl's record and the frontend
// directory know, in numeric order.
func deviceIDs(ctx context.Context, ops xenstore.Ops, fe uint32) ([]int, error) {
	dirs := kindDirs(fe, 0)[:2]
	lists, err := dirAll(ctx, ops, dirs)
	if err != nil {
		return nil, err
	}
	seen := map[int]bool{}
	var ids []int
	for _, l := range lists {
		for _, n := range l {
			if !canonicalUint(n) {
				continue
			}
			if id, err := strconv.Atoi(n); err == nil && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// locate finds a device's backend path the way xgo trusts: libxl's record
// (written by dom0 only) first, else the frontend's backend key (which
// the guest can change) if it names this very device's vsnd backend
// directory. It returns "" when neither does.
func locate(ctx context.Context, ops xenstore.Ops, fe uint32, devid int) (bePath string, libxl bool, feExists bool, err error) {
	vals, err := xenstore.ReadEach(ctx, ops, []string{LibxlPath(fe, devid), LibxlPath(fe, devid) + "/backend", FrontendPath(fe, devid), FrontendPath(fe, devid) + "/backend"})
	if err != nil {
		return "", false, false, err
	}
	libxl, feExists = vals[0] != nil, vals[2] != nil
	for _, v := range []([]byte){vals[1], vals[3]} {
		if v == nil {
			continue
		}
		if _, f, d, ok := parseBackendPath(string(v)); ok && f == fe && d == devid {
			return string(v), libxl, feExists, nil
		}
	}
	return "", libxl, feExists, nil
}

// readDevice reads one device: where its ends are, their states, the
// card and what the frontend published.
func readDevice(ctx context.Context, ops xenstore.Ops, fe Domain, devid int, doms []Domain) (DeviceInfo, error) {
	dev := DeviceInfo{DevID: devid}
	bePath, libxl, _, err := locate(ctx, ops, fe.ID, devid)
	if err != nil {
		return dev, err
	}
	dev.Libxl = libxl
	dev.Frontend = End{Domain: fe, Path: FrontendPath(fe.ID, devid)}
	if bePath != "" {
		be, _, _, _ := parseBackendPath(bePath)
		bd := Domain{ID: be}
		if d, err := resolveDomain(doms, strconv.FormatUint(uint64(be), 10)); err == nil {
			bd = d
		}
		dev.Backend = End{Domain: bd, Path: bePath}
	} else {
		dev.Problems = append(dev.Problems, "no backend path: neither libxl's record nor the frontend names this device's vsnd backend directory")
	}

	// The card's directory (the admin's record if there is one, else the
	// frontend's), then each PCM and stream directory, level by level;
	// then every value at once.
	fePath := dev.Frontend.Path
	cardDir := fePath
	if bePath != "" {
		if _, err := ops.Directory(ctx, bePath+"/"+RecordDir); err == nil {
			cardDir, dev.Recorded = bePath+"/"+RecordDir, true
		} else if !isNotExist(err) {
			return dev, err
		}
	}
	top, err := ops.Directory(ctx, cardDir)
	if err != nil && !isNotExist(err) {
		return dev, err
	}
	pcms := contiguous(top)
	pcmDirs := make([]string, pcms)
	for i := range pcmDirs {
		pcmDirs[i] = cardDir + "/" + strconv.Itoa(i)
	}
	pcmKids, err := dirAll(ctx, ops, pcmDirs)
	if err != nil {
		return dev, err
	}
	var streamDirs []string
	var streamOf [][2]int
	nstreams := make([]int, pcms)
	for i, kids := range pcmKids {
		nstreams[i] = contiguous(kids)
		for j := 0; j < nstreams[i]; j++ {
			streamDirs = append(streamDirs, pcmDirs[i]+"/"+strconv.Itoa(j))
			streamOf = append(streamOf, [2]int{i, j})
		}
	}
	streamKids, err := dirAll(ctx, ops, streamDirs)
	if err != nil {
		return dev, err
	}

	// Every leaf to read, with where its value goes.
	var paths []string
	var sinks []func(v []byte)
	want := func(path string, sink func(v []byte)) {
		paths = append(paths, path)
		sinks = append(sinks, sink)
	}
	has := func(kids []string, k string) bool { return slices.Contains(kids, k) }
	want(fePath+"/state", func(v []byte) { dev.Frontend.State, dev.Frontend.HasState = xenbus.ParseState(v), true })
	if bePath != "" {
		want(bePath+"/state", func(v []byte) { dev.Backend.State, dev.Backend.HasState = xenbus.ParseState(v), true })
	}
	c := &dev.Card
	textKey := func(kids []string, dir, key string, dst *string) {
		if has(kids, key) {
			want(dir+"/"+key, func(v []byte) { *dst = string(v) })
		}
	}
	paramsOf := func(kids []string, dir, item string, p *Params) {
		for _, k := range paramKeys {
			if !has(kids, k) {
				continue
			}
			want(dir+"/"+k, func(v []byte) {
				if msg := readParam(p, k, string(v)); msg != "" {
					dev.Problems = append(dev.Problems, fmt.Sprintf("%s: %s: %s", item, k, msg))
				}
			})
		}
	}
	textKey(top, cardDir, KeyShortName, &c.ShortName)
	textKey(top, cardDir, KeyLongName, &c.LongName)
	paramsOf(top, cardDir, cardItem, &c.Params)
	c.PCMs = make([]PCM, pcms)
	dev.Streams = make([][]StreamInfo, pcms)
	for i := range pcms {
		textKey(pcmKids[i], pcmDirs[i], KeyName, &c.PCMs[i].Name)
		paramsOf(pcmKids[i], pcmDirs[i], pcmItem(i), &c.PCMs[i].Params)
		c.PCMs[i].Streams = make([]Stream, nstreams[i])
		dev.Streams[i] = make([]StreamInfo, nstreams[i])
	}
	for k, dir := range streamDirs {
		i, j := streamOf[k][0], streamOf[k][1]
		kids := streamKids[k]
		s := &c.PCMs[i].Streams[j]
		textKey(kids, dir, KeyUniqueID, &s.UniqueID)
		if has(kids, KeyType) {
			want(dir+"/"+KeyType, func(v []byte) { s.Type = StreamType(v) })
		}
		paramsOf(kids, dir, streamItem(i, j), &s.Params)
		// The transport is the frontend's, wherever the card was read.
		t := &dev.Streams[i][j].Transport
		fdir := fmt.Sprintf("%s/%d/%d", fePath, i, j)
		for key, dst := range map[string]**uint32{KeyRingRef: &t.RingRef, KeyEventChannel: &t.EventChannel, KeyEvtRingRef: &t.EvtRingRef, KeyEvtEventChan: &t.EvtEventChannel} {
			if dev.Recorded || has(kids, key) {
				want(fdir+"/"+key, func(v []byte) {
					if n, err := strconv.ParseUint(strings.TrimSpace(string(v)), 10, 32); err == nil {
						u := uint32(n)
						*dst = &u
					} else {
						dev.Problems = append(dev.Problems, fmt.Sprintf("%s: %s: %q is not a number", streamItem(i, j), key, v))
					}
				})
			}
		}
	}
	vals, err := xenstore.ReadEach(ctx, ops, paths)
	if err != nil {
		return dev, err
	}
	for i, v := range vals {
		if v != nil {
			sinks[i](v)
		}
	}
	return dev, nil
}

// contiguous counts the children named 0, 1, 2, ... as Linux and libxl do:
// they stop at the first gap.
func contiguous(kids []string) int {
	n := 0
	for slices.Contains(kids, strconv.Itoa(n)) {
		n++
	}
	return n
}

// readParam sets one parameter from its XenStore value; it returns what
// was wrong with it, or "".
func readParam(p *Params, key, v string) string {
	switch key {
	case KeySampleRates:
		var bad []string
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if n, err := strconv.ParseUint(s, 10, 32); err == nil {
				p.SampleRates = append(p.SampleRates, uint32(n))
			} else {
				bad = append(bad, strconv.Quote(s))
			}
		}
		if len(bad) > 0 {
			return "not a rate: " + strings.Join(bad, ", ")
		}
	case KeySampleFormats:
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				p.SampleFormats = append(p.SampleFormats, s)
			}
		}
	default:
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
		if err != nil {
			return fmt.Sprintf("%q is not a number", v)
		}
		switch key {
		case KeyChannelsMin:
			p.ChannelsMin = uint32(n)
		case KeyChannelsMax:
			p.ChannelsMax = uint32(n)
		case KeyBufferSize:
			p.BufferSize = uint32(n)
		}
	}
	return ""
}

func isNotExist(err error) bool { return err != nil && errors.Is(err, xenstore.ErrNotExist) }
