package simulate

import (
	"context"
	"time"
)

// Limits and defaults of Config.
const (
	MinDevices      = 10
	MaxDevices      = 100000
	DefaultInterval = 10 * time.Second
)

// Config sizes and seeds the simulated city.
type Config struct {
	// Devices is the number of devices, clamped to [MinDevices, MaxDevices];
	// 0 means the named catalogue only. The catalogue comes first, then
	// generated devices.
	Devices int
	// Interval is the time between two ticks of Run (DefaultInterval if 0).
	Interval time.Duration
	// Seed makes the city and its measurements reproducible.
	Seed uint64
	// Start is the simulated time of Run's first tick; the simulated clock
	// then advances with the wall clock. Zero means the wall clock.
	Start time.Time
	// OnError, when set, receives the errors of the Sink during Run.
	OnError func(error)
}

// Measurement is what one device reports at one time: the fragment of its
// entity that changed.
type Measurement struct {
	DeviceID   string
	EntityID   string
	EntityType string // short Smart Data Models type name, e.g. "AirQualityObserved"
	// Values are numeric properties, by attribute term (see UnitCode).
	Values map[string]float64
	// Bools and Strings are the other properties, by attribute term.
	Bools   map[string]bool
	Strings map[string]string
	// Location is the new position of a moving device, nil for fixed ones.
	Location   *Point
	ObservedAt time.Time
}

// Sink delivers measurements: to the broker, or later over MQTT.
type Sink interface {
	Send(ctx context.Context, ms []Measurement) error
}

// City is the simulated city: its devices and their generators. Its methods
// are safe for concurrent use: a City does not change after New.
type City struct {
	cfg     Config
	devices []device
}

// New builds the city of cfg: the catalogue, then generated devices.
func New(cfg Config) *City {
	switch {
	case cfg.Devices == 0:
	case cfg.Devices < MinDevices:
		cfg.Devices = MinDevices
	case cfg.Devices > MaxDevices:
		cfg.Devices = MaxDevices
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	c := &City{cfg: cfg}
	c.devices = catalogue()
	if cfg.Devices > 0 && cfg.Devices < len(c.devices) {
		c.devices = c.devices[:cfg.Devices]
	}
	for i := len(c.devices); i < cfg.Devices; i++ {
		c.devices = append(c.devices, generate(cfg.Seed, i))
	}
	for i := range c.devices {
		c.devices[i].finish(cfg.Seed, i)
	}
	return c
}

// Len returns the number of devices.
func (c *City) Len() int { return len(c.devices) }

// DeviceInfo describes one simulated device, e.g. to provision it in the
// device registry before it publishes over MQTT.
type DeviceInfo struct {
	DeviceID   string
	EntityID   string
	EntityType string
	Name       string
	Location   Point // initial position
}

// Devices lists the devices in the order of Step's measurements.
func (c *City) Devices() []DeviceInfo {
	out := make([]DeviceInfo, len(c.devices))
	for i, d := range c.devices {
		out[i] = DeviceInfo{DeviceID: d.deviceID, EntityID: d.entityID,
			EntityType: d.kind.entityType(), Name: d.name, Location: d.pos}
	}
	return out
}

// Step returns one measurement per device at now. It depends only on the
// seed, the devices and now: calling it twice with the same time gives the
// same measurements.
func (c *City) Step(now time.Time) []Measurement {
	e := c.environment(now)
	out := make([]Measurement, len(c.devices))
	for i := range c.devices {
		out[i] = c.measure(&c.devices[i], e)
	}
	return out
}

// measure runs the generator of d's kind.
func (c *City) measure(d *device, e *env) Measurement {
	m := Measurement{DeviceID: d.deviceID, EntityID: d.entityID, EntityType: d.kind.entityType(),
		Values: map[string]float64{}, ObservedAt: e.t}
	switch d.kind {
	case kindAir:
		c.air(d, e, &m)
	case kindWater:
		c.water(d, e, &m)
	case kindTraffic:
		c.trafficFlow(d, e, &m)
	case kindFlood:
		c.flood(d, e, &m)
	case kindLight:
		c.light(d, e, &m)
	case kindWaste:
		c.waste(d, e, &m)
	case kindBus:
		c.bus(d, e, &m)
	}
	return m
}

// Run sends a Step to sink at once and then every Interval until ctx ends;
// it returns nil then. Errors of the sink go to Config.OnError and do not
// stop the city.
func (c *City) Run(ctx context.Context, sink Sink) error {
	began := time.Now()
	clock := func() time.Time {
		if c.cfg.Start.IsZero() {
			return time.Now()
		}
		return c.cfg.Start.Add(time.Since(began))
	}
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	for {
		if err := sink.Send(ctx, c.Step(clock())); err != nil && ctx.Err() == nil && c.cfg.OnError != nil {
			c.cfg.OnError(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
