module github.com/minikubelet/minikubelet

go 1.26.0
