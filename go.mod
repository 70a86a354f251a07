module github.com/dothi-city/dothi

go 1.26
