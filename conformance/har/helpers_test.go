package har

import "io/fs"

func errNotExist() error { return fs.ErrNotExist }
