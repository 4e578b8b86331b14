package xenstore

import "io"

// NewXenbusConnForTest returns a Conn with the xenbus device's rules over
// rwc, so tests can play the Linux driver.
func NewXenbusConnForTest(rwc io.ReadWriteCloser, cfg *Config) *Conn {
	return newConn(rwc, cfg, xenbusTransport)
}
