package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// openDirBelow opens the directory name inside dir, creating it (0750)
// if create is set. name is one path component and is not followed if
// it is a symbolic link.
func openDirBelow(dir *os.File, name string, create bool) (*os.File, error) {
	dfd := int(dir.Fd())
	if create {
		if err := syscall.Mkdirat(dfd, name, 0o750); err != nil && err != syscall.EEXIST {
			return nil, &os.PathError{Op: "mkdir", Path: filepath.Join(dir.Name(), name), Err: err}
		}
	}
	fd, err := syscall.Openat(dfd, name, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(dir.Name(), name)), nil
}

// openFileBelow opens the regular file name inside dir: never through a
// symbolic link (O_NOFOLLOW), never blocking on a FIFO or a device
// (O_NONBLOCK, then fstat: anything but a regular file is refused).
func openFileBelow(dir *os.File, name string, flag int, perm uint32) (*os.File, error) {
	path := filepath.Join(dir.Name(), name)
	fd, err := syscall.Openat(int(dir.Fd()), name, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, perm)
	if err != nil {
		if err == syscall.ELOOP {
			err = fmt.Errorf("a symbolic link: not followed")
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// fileID identifies a file: its device and inode.
type fileID struct{ dev, ino uint64 }

func idOf(f *os.File) (fileID, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return fileID{}, err
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, nil
}

const (
	oCreateNew = syscall.O_WRONLY | syscall.O_CREAT | syscall.O_EXCL
	oWrite     = syscall.O_WRONLY
	oRead      = syscall.O_RDONLY
)

func isExist(err error) bool { return os.IsExist(err) }
