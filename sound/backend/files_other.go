//go:build !linux

package backend

import (
	"errors"
	"os"
)

var errNoFiles = errors.New("the vsnd backend's files need Linux")

func openDirBelow(dir *os.File, name string, create bool) (*os.File, error) { return nil, errNoFiles }

func openFileBelow(dir *os.File, name string, flag int, perm uint32) (*os.File, error) {
	return nil, errNoFiles
}

type fileID struct{ dev, ino uint64 }

func idOf(f *os.File) (fileID, error) { return fileID{}, errNoFiles }

const (
	oCreateNew = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	oWrite     = os.O_WRONLY
	oRead      = os.O_RDONLY
)

func isExist(err error) bool { return os.IsExist(err) }
