// Package simulate is the living demo city of Vũng Tàu: a fixed catalogue
// of named devices on real places and roads (air- and water-quality
// stations, traffic counters, flood sensors, street lights, waste bins and
// buses), optionally grown with generated devices, whose measurements are
// computed from the seed and the time alone.
//
// The generators do not know the transport: Step returns Measurements, and a
// Sink delivers them. BrokerSink writes them straight into the context
// broker as NGSI-LD entity fragments; a later sink publishes the same
// measurements as MQTT device payloads.
//
// Times of day (rush hours, collection rounds, bus service) are local time
// in Vũng Tàu, UTC+7 all year.
package simulate
