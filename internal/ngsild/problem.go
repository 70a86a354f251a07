package ngsild

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrorType is an NGSI-LD error type (ETSI GS CIM 009, clause 5.5.2).
type ErrorType string

// The NGSI-LD error types.
const (
	ErrInvalidRequest        ErrorType = "https://uri.etsi.org/ngsi-ld/errors/InvalidRequest"
	ErrBadRequestData        ErrorType = "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"
	ErrAlreadyExists         ErrorType = "https://uri.etsi.org/ngsi-ld/errors/AlreadyExists"
	ErrOperationNotSupported ErrorType = "https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported"
	ErrResourceNotFound      ErrorType = "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"
	ErrInternal              ErrorType = "https://uri.etsi.org/ngsi-ld/errors/InternalError"
	ErrTooComplexQuery       ErrorType = "https://uri.etsi.org/ngsi-ld/errors/TooComplexQuery"
	ErrTooManyResults        ErrorType = "https://uri.etsi.org/ngsi-ld/errors/TooManyResults"
	ErrLdContextNotAvailable ErrorType = "https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable"
	ErrNonexistentTenant     ErrorType = "https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant"
	ErrUnsupportedMediaType  ErrorType = "https://uri.etsi.org/ngsi-ld/errors/UnsupportedMediaType"
	ErrNotAcceptable         ErrorType = "https://uri.etsi.org/ngsi-ld/errors/NotAcceptable"
	ErrUnauthorized          ErrorType = "https://uri.etsi.org/ngsi-ld/errors/Unauthorized"
	ErrForbidden             ErrorType = "https://uri.etsi.org/ngsi-ld/errors/Forbidden"
	ErrPayloadTooLarge       ErrorType = "https://uri.etsi.org/ngsi-ld/errors/PayloadTooLarge"
)

// Status returns the HTTP status code that goes with the error type.
func (t ErrorType) Status() int {
	switch t {
	case ErrInvalidRequest, ErrBadRequestData:
		return http.StatusBadRequest
	case ErrAlreadyExists:
		return http.StatusConflict
	case ErrOperationNotSupported:
		return http.StatusUnprocessableEntity
	case ErrResourceNotFound, ErrNonexistentTenant:
		return http.StatusNotFound
	case ErrTooComplexQuery, ErrTooManyResults, ErrForbidden:
		return http.StatusForbidden
	case ErrLdContextNotAvailable:
		return http.StatusServiceUnavailable
	case ErrUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case ErrNotAcceptable:
		return http.StatusNotAcceptable
	case ErrUnauthorized:
		return http.StatusUnauthorized
	case ErrPayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// Title returns the short name of the error type.
func (t ErrorType) Title() string {
	s := string(t)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}

// Problem is an RFC 7807 problem description with an NGSI-LD error type.
// It implements error; every layer returns it for errors a client caused.
type Problem struct {
	Type     ErrorType `json:"type"`
	Title    string    `json:"title"`
	Status   int       `json:"status"`
	Detail   string    `json:"detail,omitempty"`
	Instance string    `json:"instance,omitempty"`
}

// Errorf returns a Problem of type t with a formatted detail.
func Errorf(t ErrorType, format string, args ...any) *Problem {
	return &Problem{Type: t, Title: t.Title(), Status: t.Status(), Detail: fmt.Sprintf(format, args...)}
}

func (p *Problem) Error() string {
	if p.Detail == "" {
		return p.Title
	}
	return p.Title + ": " + p.Detail
}

// AsProblem returns err as a Problem: the Problem it wraps, or an
// InternalError whose detail does not leak the underlying message.
func AsProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return Errorf(ErrInternal, "internal error")
}

// IsType reports whether err is a Problem of type t.
func IsType(err error, t ErrorType) bool {
	var p *Problem
	return errors.As(err, &p) && p.Type == t
}
