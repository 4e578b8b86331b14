package backend

import (
	"encoding/binary"
	"math"

	"xgo.dev/xgo/sound/sndif"
)

// pcmFormat describes how a sndif format lays out one sample.
type pcmFormat struct {
	bytes    int  // octets per sample (container)
	bits     int  // significant bits
	signed   bool // two's complement (false: offset binary)
	float    bool
	bigEnd   bool
	law      byte // 'u' mu-law, 'a' A-law, 0 linear
	wavTag   uint16
	wavBits  int // bits per sample in the WAV container
	wavValid int // valid bits (extensible header when != wavBits)
}

// pcmFormats are the formats the backend can carry: linear PCM of every
// width and endianness, IEEE floats and the two logarithmic 8-bit
// codings. IEC958 subframes, IMA ADPCM, MPEG and GSM are not PCM a WAV
// file or a tone generator can carry: streams never offer them.
var pcmFormats = map[sndif.Format]pcmFormat{
	sndif.FormatS8:    {bytes: 1, bits: 8, signed: true, wavTag: wavPCM, wavBits: 8},
	sndif.FormatU8:    {bytes: 1, bits: 8, wavTag: wavPCM, wavBits: 8},
	sndif.FormatS16LE: {bytes: 2, bits: 16, signed: true, wavTag: wavPCM, wavBits: 16},
	sndif.FormatS16BE: {bytes: 2, bits: 16, signed: true, bigEnd: true, wavTag: wavPCM, wavBits: 16},
	sndif.FormatU16LE: {bytes: 2, bits: 16, wavTag: wavPCM, wavBits: 16},
	sndif.FormatU16BE: {bytes: 2, bits: 16, bigEnd: true, wavTag: wavPCM, wavBits: 16},
	// S24/U24 are ALSA's 24 bits in a 4-octet container, low-aligned.
	sndif.FormatS24LE: {bytes: 4, bits: 24, signed: true, wavTag: wavExtensible, wavBits: 32, wavValid: 24},
	sndif.FormatS24BE: {bytes: 4, bits: 24, signed: true, bigEnd: true, wavTag: wavExtensible, wavBits: 32, wavValid: 24},
	sndif.FormatU24LE: {bytes: 4, bits: 24, wavTag: wavExtensible, wavBits: 32, wavValid: 24},
	sndif.FormatU24BE: {bytes: 4, bits: 24, bigEnd: true, wavTag: wavExtensible, wavBits: 32, wavValid: 24},
	sndif.FormatS32LE: {bytes: 4, bits: 32, signed: true, wavTag: wavPCM, wavBits: 32},
	sndif.FormatS32BE: {bytes: 4, bits: 32, signed: true, bigEnd: true, wavTag: wavPCM, wavBits: 32},
	sndif.FormatU32LE: {bytes: 4, bits: 32, wavTag: wavPCM, wavBits: 32},
	sndif.FormatU32BE: {bytes: 4, bits: 32, bigEnd: true, wavTag: wavPCM, wavBits: 32},
	sndif.FormatF32LE: {bytes: 4, bits: 32, float: true, wavTag: wavFloat, wavBits: 32},
	sndif.FormatF32BE: {bytes: 4, bits: 32, float: true, bigEnd: true, wavTag: wavFloat, wavBits: 32},
	sndif.FormatF64LE: {bytes: 8, bits: 64, float: true, wavTag: wavFloat, wavBits: 64},
	sndif.FormatF64BE: {bytes: 8, bits: 64, float: true, bigEnd: true, wavTag: wavFloat, wavBits: 64},
	sndif.FormatMuLaw: {bytes: 1, bits: 8, law: 'u', wavTag: wavMuLaw, wavBits: 8},
	sndif.FormatALaw:  {bytes: 1, bits: 8, law: 'a', wavTag: wavALaw, wavBits: 8},
}

// SupportedFormats is the mask of formats the backend carries.
var SupportedFormats = func() sndif.FormatMask {
	var m sndif.FormatMask
	for f := range pcmFormats {
		m |= sndif.MaskOf(f)
	}
	return m
}()

func (p pcmFormat) order() binary.ByteOrder {
	if p.bigEnd {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// identity reports whether the guest's layout is already WAV's.
func (p pcmFormat) identity() bool {
	switch {
	case p.bytes == 1:
		return p.law != 0 || !p.signed
	case p.float:
		return !p.bigEnd
	default:
		return !p.bigEnd && p.signed && p.bits == 8*p.bytes
	}
}

// toWAV converts one sample from the guest's layout to the WAV file's
// (little-endian; 8-bit unsigned, wider signed; 24-bit samples
// left-aligned in 32 bits as WAVE_FORMAT_EXTENSIBLE wants). The
// conversion is lossless and fromWAV undoes it.
func (p pcmFormat) toWAV(dst, src []byte) {
	if p.float || p.law != 0 || p.bytes == 1 {
		switch {
		case p.bytes == 1 && p.law == 0 && p.signed:
			dst[0] = src[0] ^ 0x80
		case p.bytes == 1:
			dst[0] = src[0]
		case p.bytes == 4:
			binary.LittleEndian.PutUint32(dst, p.order().Uint32(src))
		default:
			binary.LittleEndian.PutUint64(dst, p.order().Uint64(src))
		}
		return
	}
	switch p.bytes {
	case 2:
		v := p.order().Uint16(src)
		if !p.signed {
			v ^= 0x8000
		}
		binary.LittleEndian.PutUint16(dst, v)
	case 4:
		v := p.order().Uint32(src)
		if p.bits == 24 {
			v &= 0xffffff
			if !p.signed {
				v ^= 0x800000
			}
			v <<= 8
		} else if !p.signed {
			v ^= 0x80000000
		}
		binary.LittleEndian.PutUint32(dst, v)
	}
}

// fromWAV is the inverse of toWAV.
func (p pcmFormat) fromWAV(dst, src []byte) {
	if p.float || p.law != 0 || p.bytes == 1 {
		switch {
		case p.bytes == 1 && p.law == 0 && p.signed:
			dst[0] = src[0] ^ 0x80
		case p.bytes == 1:
			dst[0] = src[0]
		case p.bytes == 4:
			p.order().PutUint32(dst, binary.LittleEndian.Uint32(src))
		default:
			p.order().PutUint64(dst, binary.LittleEndian.Uint64(src))
		}
		return
	}
	switch p.bytes {
	case 2:
		v := binary.LittleEndian.Uint16(src)
		if !p.signed {
			v ^= 0x8000
		}
		p.order().PutUint16(dst, v)
	case 4:
		v := binary.LittleEndian.Uint32(src)
		if p.bits == 24 {
			v >>= 8
			if !p.signed {
				v ^= 0x800000
			} else if v&0x800000 != 0 {
				v |= 0xff000000 // sign-extend in the container, as ALSA does
			}
		} else if !p.signed {
			v ^= 0x80000000
		}
		p.order().PutUint32(dst, v)
	}
}

// encode writes the sample value v (-1 ≤ v ≤ 1) in the format.
func (p pcmFormat) encode(dst []byte, v float64) {
	v = max(-1, min(1, v))
	switch {
	case p.float && p.bytes == 4:
		p.order().PutUint32(dst, math.Float32bits(float32(v)))
	case p.float:
		p.order().PutUint64(dst, math.Float64bits(v))
	case p.law == 'u':
		dst[0] = muLaw(int16(v * 32767))
	case p.law == 'a':
		dst[0] = aLaw(int16(v * 32767))
	default:
		full := float64(int64(1)<<(p.bits-1) - 1)
		s := int64(math.Round(v * full))
		u := uint64(s)
		if !p.signed {
			u = uint64(s + int64(1)<<(p.bits-1))
		}
		switch p.bytes {
		case 1:
			dst[0] = byte(u)
		case 2:
			p.order().PutUint16(dst, uint16(u))
		case 4:
			if p.bits == 24 && !p.signed {
				u &= 0xffffff
			}
			p.order().PutUint32(dst, uint32(u))
		}
	}
}

// muLaw is G.711 µ-law encoding of a 16-bit linear sample.
func muLaw(s int16) byte {
	const bias, clip = 0x84, 32635
	x := int(s)
	sign := 0
	if x < 0 {
		x, sign = -x, 0x80
	}
	x = min(x, clip) + bias
	exp := 7
	for mask := 0x4000; x&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (x >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

// aLaw is G.711 A-law encoding of a 16-bit linear sample.
func aLaw(s int16) byte {
	x := int(s) >> 3 // 13-bit
	sign := 0x80
	if x < 0 {
		x, sign = -x-1, 0
	}
	var out int
	if x < 32 {
		out = x >> 1
	} else {
		exp := 1
		for v := x >> 5; v > 1 && exp < 7; v >>= 1 {
			exp++
		}
		out = exp<<4 | (x>>exp)&0x0f
	}
	return byte((out | sign) ^ 0x55)
}
