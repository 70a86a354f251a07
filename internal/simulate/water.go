package simulate

import (
	"math"
	"time"
)

// water fills m with a water-quality observation. Sea water at the beaches
// is saline, clear and well oxygenated; Sông Dinh is brackish with the tide,
// more turbid and richer in nutrients and organic matter. Oxygen follows
// photosynthesis (highest mid-afternoon); rain brings turbidity and runoff.
func (c *City) water(d *device, e *env, m *Measurement) {
	n := func(ch uint64, amp float64) float64 {
		return 1 + amp*smoothNoise(c.cfg.Seed, d.key, ch, e.t, time.Hour)
	}
	day := math.Cos(2 * math.Pi * (e.hour - 15) / 24)
	flush := 1 + 0.08*e.runoff
	temp := 28.3 + 0.6*day + 0.3*math.Sin(2*math.Pi*float64(e.t.YearDay()-40)/365)
	ph, o2, cond, turb := 8.15+0.05*day, 6.8+0.6*day, 50500+900*(e.tide-2.6), 4.0
	nut, bod := 0.4, 1.6
	if d.river {
		salt := clamp(0.55+0.25*(e.tide-2.6)-0.02*e.runoff, 0.15, 0.9)
		ph, o2, cond, turb = 7.0+0.6*salt+0.08*day, 4.8+0.9*day, 52000*salt, 22.0
		nut, bod = 1.8, 5.0
	}
	turb *= flush * d.scale * n(chTurb, 0.2)
	v := m.Values
	v["temperature"] = round(temp, 1)
	v["pH"] = round(clamp(ph*n(chWater, 0.01), 6, 9), 2)
	v["o2"] = round(clamp(o2*n(chWater+100, 0.06)/math.Sqrt(flush), 2, 9.5), 2)
	v["conductivity"] = round(math.Max(500, cond*n(chWater+200, 0.02)), 0)
	v["turbidity"] = round(turb, 1)
	v["tss"] = round(1.3*turb+2, 1)
	v["nh4"] = round(0.12*nut*d.scale*flush*n(chNutrient, 0.2), 3)
	v["no3"] = round(0.6*nut*d.scale*n(chNutrient+1, 0.2), 3)
	v["po4"] = round(0.05*nut*d.scale*flush*n(chNutrient+2, 0.2), 3)
	v["bod5"] = round(bod*d.scale*n(chNutrient+3, 0.15), 2)
	v["cod"] = round(2.4*v["bod5"]*n(chNutrient+4, 0.1), 2)
}
