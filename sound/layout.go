package sound

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenbus"
)

// This file is the XenStore layout of a vsnd device: its three
// directories, the xenbus states, and the writes that provision a card,
// in the order libxl makes them (libxl__device_add_async,
// libxl__device_generic_add and libxl__set_xenstore_vsnd in
// tools/libs/light), so that `xenstore-ls` lists xgo's cards exactly as
// xl's.

// State is a device's xenbus state, as package xenbus defines it.
type State = xenbus.State

// Kind is the xenbus device kind of a PV sound card (XENSND_DRIVER_NAME).
const Kind = "vsnd"

// FrontendPath is the frontend directory of device devid of domain fe.
func FrontendPath(fe uint32, devid int) string {
	return fmt.Sprintf("/local/domain/%d/device/%s/%d", fe, Kind, devid)
}

// BackendPath is the backend directory, in domain be, of device devid of
// domain fe.
func BackendPath(be, fe uint32, devid int) string {
	return fmt.Sprintf("/local/domain/%d/backend/%s/%d/%d", be, Kind, fe, devid)
}

// LibxlPath is libxl's record of device devid of domain fe, which xl
// vsnd-list enumerates.
func LibxlPath(fe uint32, devid int) string {
	return fmt.Sprintf("/libxl/%d/device/%s/%d", fe, Kind, devid)
}

// RecordDir is the admin's record of a card, below its backend
// directory: the card as xgo vsnd-attach was given it, in the frontend
// directory's layout. Only the backend's domain (normally dom0) can
// write there, so the backend routes streams and bounds the card from
// it, never from the frontend directory, which the guest owns.
const RecordDir = "card"

// RecordPath is the admin's record of device devid of domain fe, whose
// backend runs in domain be.
func RecordPath(be, fe uint32, devid int) string {
	return BackendPath(be, fe, devid) + "/" + RecordDir
}

// ErrorPath is where the guest's frontend reports errors about device
// devid (Linux's xenbus_dev_error: error/<nodename> in the guest's home).
func ErrorPath(fe uint32, devid int) string {
	return fmt.Sprintf("/local/domain/%d/error/device/%s/%d", fe, Kind, devid)
}

// kindDirs are the three directories whose children are device ids.
func kindDirs(fe, be uint32) []string {
	return []string{
		fmt.Sprintf("/libxl/%d/device/%s", fe, Kind),
		fmt.Sprintf("/local/domain/%d/device/%s", fe, Kind),
		fmt.Sprintf("/local/domain/%d/backend/%s/%d", be, Kind, fe),
	}
}

// parseBackendPath splits /local/domain/<be>/backend/vsnd/<fe>/<devid>,
// the only form xgo accepts (libxl__parse_backend_path).
func parseBackendPath(p string) (be, fe uint32, devid int, ok bool) {
	parts := strings.Split(p, "/")
	if len(parts) != 8 || parts[0] != "" || parts[1] != "local" || parts[2] != "domain" || parts[4] != "backend" || parts[5] != Kind {
		return 0, 0, 0, false
	}
	b, err1 := strconv.ParseUint(parts[3], 10, 16)
	f, err2 := strconv.ParseUint(parts[6], 10, 16)
	d, err3 := strconv.ParseUint(parts[7], 10, 31)
	if err1 != nil || err2 != nil || err3 != nil || !canonicalUint(parts[3]) || !canonicalUint(parts[6]) || !canonicalUint(parts[7]) {
		return 0, 0, 0, false
	}
	return uint32(b), uint32(f), int(d), true
}

// canonicalUint reports whether s is a decimal number as Go prints it (no
// sign, no leading zero): device ids in paths must round-trip.
func canonicalUint(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Change is one XenStore operation xgo makes (or, in a dry run, would
// make).
type Change struct {
	Op    string // "write", "mkdir", "chmod" or "rm"
	Path  string
	Value string         // write
	Perms xenstore.Perms // chmod
}

// apply makes the changes in order through ops (normally a transaction).
func apply(ctx context.Context, ops xenstore.Ops, changes []Change) error {
	for _, c := range changes {
		var err error
		switch c.Op {
		case "write":
			err = ops.Write(ctx, c.Path, []byte(c.Value))
		case "mkdir":
			err = ops.Mkdir(ctx, c.Path)
		case "chmod":
			err = ops.SetPerms(ctx, c.Path, c.Perms)
		case "rm":
			err = ops.Rm(ctx, c.Path)
		default:
			err = fmt.Errorf("internal error: unknown XenStore operation %q", c.Op)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// provision returns the writes that create device devid of domain fe
// with its backend in domain be, in libxl's order: libxl's record (its
// frontend and backend paths), the frontend directory (owned by the
// guest, readable by the backend) with the generic keys and the card, the
// backend directory (owned by the backend domain, readable by the guest)
// with the generic keys and the admin's record of the card (RecordDir),
// and the rest of libxl's record (a copy of the backend's keys). Nodes below a directory inherit its permissions, as
// libxl's explicit per-node permissions make them.
func provision(c *Card, fe, be uint32, devid int) []Change {
	fePath, bePath, lxPath := FrontendPath(fe, devid), BackendPath(be, fe, devid), LibxlPath(fe, devid)
	feStr, beStr := strconv.FormatUint(uint64(fe), 10), strconv.FormatUint(uint64(be), 10)
	initialising := strconv.Itoa(int(xenbus.Initialising))
	var out []Change
	w := func(path, value string) { out = append(out, Change{Op: "write", Path: path, Value: value}) }
	dir := func(path string, perms xenstore.Perms) {
		out = append(out, Change{Op: "mkdir", Path: path}, Change{Op: "chmod", Path: path, Perms: perms})
	}

	w(lxPath+"/frontend", fePath)
	w(lxPath+"/backend", bePath)

	dir(fePath, xenstore.Perms{{Access: xenstore.AccessNone, Domain: fe}, {Access: xenstore.AccessRead, Domain: be}})
	w(fePath+"/backend", bePath)
	w(fePath+"/backend-id", beStr)
	w(fePath+"/state", initialising)
	for _, kv := range cardKeys(c) {
		w(fePath+"/"+kv[0], kv[1])
	}

	dir(bePath, xenstore.Perms{{Access: xenstore.AccessNone, Domain: be}, {Access: xenstore.AccessRead, Domain: fe}})
	w(bePath+"/frontend", fePath)
	for _, p := range []string{bePath, lxPath} {
		w(p+"/frontend-id", feStr)
		w(p+"/online", "1")
		w(p+"/state", initialising)
		if p == bePath {
			for _, kv := range cardKeys(c) {
				w(bePath+"/"+RecordDir+"/"+kv[0], kv[1])
			}
		}
	}
	return out
}

// cardKeys gives the card's nodes, relative to the frontend directory, in
// libxl__set_xenstore_vsnd's order.
func cardKeys(c *Card) [][2]string {
	var out [][2]string
	add := func(k, v string) { out = append(out, [2]string{k, v}) }
	if c.LongName != "" {
		add(KeyLongName, c.LongName)
	}
	if c.ShortName != "" {
		add(KeyShortName, c.ShortName)
	}
	params := func(prefix string, p Params) {
		for _, kv := range paramKeysOf(p) {
			add(prefix+kv[0], kv[1])
		}
	}
	params("", c.Params)
	for i, p := range c.PCMs {
		pre := strconv.Itoa(i) + "/"
		if p.Name != "" {
			add(pre+KeyName, p.Name)
		}
		params(pre, p.Params)
		for j, s := range p.Streams {
			spre := pre + strconv.Itoa(j) + "/"
			add(spre+KeyUniqueID, s.UniqueID)
			add(spre+KeyType, string(s.Type))
			params(spre, s.Params)
		}
	}
	return out
}

// paramKeysOf gives the parameter nodes p sets, in libxl's order; lists
// joined with sndif's separator, formats by sndif's names.
func paramKeysOf(p Params) [][2]string {
	var out [][2]string
	if len(p.SampleRates) > 0 {
		s := make([]string, len(p.SampleRates))
		for i, r := range p.SampleRates {
			s[i] = strconv.FormatUint(uint64(r), 10)
		}
		out = append(out, [2]string{KeySampleRates, strings.Join(s, ",")})
	}
	if len(p.SampleFormats) > 0 {
		s := make([]string, len(p.SampleFormats))
		for i, f := range p.SampleFormats {
			if c, ok := CanonicalFormat(f); ok {
				f = c
			}
			s[i] = f
		}
		out = append(out, [2]string{KeySampleFormats, strings.Join(s, ",")})
	}
	if p.ChannelsMin != 0 {
		out = append(out, [2]string{KeyChannelsMin, strconv.FormatUint(uint64(p.ChannelsMin), 10)})
	}
	if p.ChannelsMax != 0 {
		out = append(out, [2]string{KeyChannelsMax, strconv.FormatUint(uint64(p.ChannelsMax), 10)})
	}
	if p.BufferSize != 0 {
		out = append(out, [2]string{KeyBufferSize, strconv.FormatUint(uint64(p.BufferSize), 10)})
	}
	return out
}

// Items renders c in xl's item syntax, one item per element, with
// format names as sndif spells them. XlItems does the same with xl's
// names for the float formats, which is what xl accepts.
func (c *Card) Items() []string { return c.items(false) }

// XlItems is Items with the float formats named as xl wants them
// (f32_le, ...).
func (c *Card) XlItems() []string { return c.items(true) }

func (c *Card) items(xl bool) []string {
	params := func(p Params) string {
		var b strings.Builder
		for _, kv := range paramKeysOf(p) {
			v := kv[1]
			if kv[0] == KeySampleFormats && xl {
				fs := strings.Split(v, ",")
				for i, f := range fs {
					fs[i] = XlFormatName(f)
				}
				v = strings.Join(fs, ",")
			}
			if kv[0] == KeySampleRates || kv[0] == KeySampleFormats {
				v = strings.ReplaceAll(v, ",", ";")
			}
			b.WriteString(", " + kv[0] + "=" + v)
		}
		return b.String()
	}
	card := "CARD"
	if c.Backend != "" {
		card += ", backend=" + c.Backend
	}
	if c.ShortName != "" {
		card += ", short-name=" + c.ShortName
	}
	if c.LongName != "" {
		card += ", long-name=" + c.LongName
	}
	out := []string{card + params(c.Params)}
	for _, p := range c.PCMs {
		item := "PCM"
		if p.Name != "" {
			item += ", name=" + p.Name
		}
		out = append(out, item+params(p.Params))
		for _, s := range p.Streams {
			out = append(out, "STREAM, unique-id="+s.UniqueID+", type="+string(s.Type)+params(s.Params))
		}
	}
	return out
}
