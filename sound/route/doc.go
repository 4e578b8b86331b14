// Package route is the grammar of what a vsnd stream is bound to on the
// host: the admin's choice, written as the stream's unique-id on
// `xgo vsnd-attach` and recorded where only dom0 can write (package
// sound), then read by the backend (package sound/backend).
//
// A guest owns its frontend directory, unique-id nodes included, so
// nothing here is ever applied to a value read from there: the backend
// parses only the admin's record, and a card without one gets Default.
//
//	wav:FILE    playback writes FILE, capture reads it; FILE is one file
//	            name inside the guest's own directory of the backend's
//	            WAV directory
//	tone:HZ     capture: a sine tone of HZ Hz (1 to 96000)
//	silence     capture: silence
//	null        playback: discarded
//
// Anything else (snd_be's alsa<hw:0;0> or pulse<…>, a UUID) is Default:
// playback to the stream's default file, capture from a 440 Hz tone.
package route
