module github.com/eio-go/eio

go 1.26
