package simulate

import "fmt"

// kind is the sort of a device, which fixes its entity type and generator.
type kind int

// The kinds of devices.
const (
	kindAir kind = iota
	kindWater
	kindTraffic
	kindFlood
	kindLight
	kindWaste
	kindBus
	numKinds
)

// kindInfo holds, per kind, its device-id prefix, Smart Data Models entity
// type and Vietnamese noun for generated names.
var kindInfo = [numKinds]struct{ code, entityType, noun string }{
	kindAir:     {"aq", "AirQualityObserved", "Cảm biến không khí"},
	kindWater:   {"wq", "WaterQualityObserved", "Trạm quan trắc nước"},
	kindTraffic: {"tf", "TrafficFlowObserved", "Bộ đếm lưu lượng"},
	kindFlood:   {"fl", "FloodMonitoring", "Cảm biến ngập"},
	kindLight:   {"sl", "Streetlight", "Đèn đường"},
	kindWaste:   {"wc", "WasteContainer", "Thùng rác"},
	kindBus:     {"bus", "Vehicle", "Xe buýt"},
}

// entityType returns the entity type of the kind.
func (k kind) entityType() string { return kindInfo[k].entityType }

// device is one simulated device and the parameters of its generator.
type device struct {
	kind     kind
	key      uint64 // hash key of the device's randomness
	slug     string // unique within the kind; ids are built from it
	name     string // Vietnamese display name
	deviceID string
	entityID string
	pos      Point
	scale    float64 // local variation of the generator, around 1
	traffic  float64 // air: exposure to traffic (0..1.5)
	industry float64 // air: exposure to the port and industry (0..1.5)
	river    bool    // water, flood: on Sông Dinh rather than the coast or a street
	road     *road   // traffic, light, flood: the road it stands on
	route    *route  // bus: its line
}

// finish derives the ids and the per-device variation of the i-th device.
func (d *device) finish(seed uint64, i int) {
	d.key = uint64(i) + 1
	d.scale = between(hash(seed, d.key, chScale), 0.8, 1.2)
	d.entityID = fmt.Sprintf("urn:ngsi-ld:%s:VT-%s", d.kind.entityType(), d.slug)
	d.deviceID = fmt.Sprintf("vt-%s-%s", kindInfo[d.kind].code, d.slug)
}
