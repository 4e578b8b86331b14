// Package sound provisions, lists and removes para-virtual sound cards
// (vsnd) for guests, using the XenStore layout of Xen's io/sndif.h and the
// bookkeeping libxl keeps under /libxl/<domid>/device/vsnd, so that xl and
// xgo see each other's cards.
package sound
