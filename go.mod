module github.com/eio-go/eio

go 1.26

require (
	github.com/coder/websocket v1.8.15 // indirect
	github.com/looplab/fsm v1.0.3 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
)
