// Package ngsild holds the ETSI NGSI-LD information model (GS CIM 009): entities
// and attributes, their normalized, concise and keyValues representations, the
// query language (q), the type selection language, geo-queries and the
// ProblemDetails errors. It does no I/O: names arrive already expanded by the
// caller's JSON-LD context (package jsonld), and storage lives elsewhere.
package ngsild
