module blockscope/tests/runtimes/go_server

go 1.19
