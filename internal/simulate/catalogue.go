package simulate

import "fmt"

// road is a main road of the city with what a traffic model needs.
type road struct {
	name, slug string
	line       *polyline
	capacity   float64 // vehicles per hour, both directions
	freeFlow   float64 // km/h when the road is empty
	beach      bool    // seaside road, busier at weekends
}

// roads are the main roads, drawn as on the offline base map.
var roads = []*road{
	{name: "Thùy Vân", slug: "ThuyVan", capacity: 2400, freeFlow: 50, beach: true, line: newPolyline([]Point{
		{107.088, 10.3275}, {107.0925, 10.3335}, {107.0975, 10.339}, {107.1035, 10.345}, {107.11, 10.352}, {107.116, 10.359}})},
	{name: "Hạ Long", slug: "HaLong", capacity: 1400, freeFlow: 40, beach: true, line: newPolyline([]Point{
		{107.0718, 10.345}, {107.0724, 10.3402}, {107.073, 10.335}, {107.0745, 10.3296}, {107.0775, 10.3248}, {107.0815, 10.3205}, {107.084, 10.3188}})},
	{name: "Trần Phú", slug: "TranPhu", capacity: 1800, freeFlow: 45, beach: true, line: newPolyline([]Point{
		{107.0712, 10.3478}, {107.069, 10.351}, {107.065, 10.3545}, {107.0598, 10.359}, {107.056, 10.365}, {107.055, 10.372}, {107.0572, 10.38}, {107.061, 10.387}})},
	{name: "3 Tháng 2", slug: "3Thang2", capacity: 3600, freeFlow: 55, line: newPolyline([]Point{
		{107.0858, 10.3468}, {107.0905, 10.353}, {107.096, 10.36}, {107.1012, 10.367}, {107.1068, 10.3745}, {107.112, 10.382}})},
	{name: "Lê Hồng Phong", slug: "LeHongPhong", capacity: 2000, freeFlow: 40, line: newPolyline([]Point{
		{107.0798, 10.3522}, {107.0822, 10.349}, {107.085, 10.3458}, {107.088, 10.3425}, {107.0912, 10.3392}})},
	{name: "Nguyễn An Ninh", slug: "NguyenAnNinh", capacity: 1600, freeFlow: 40, line: newPolyline([]Point{
		{107.0755, 10.3478}, {107.079, 10.351}, {107.083, 10.3548}, {107.0868, 10.359}, {107.09, 10.3625}})},
}

// roadNamed returns the road with the given slug.
func roadNamed(slug string) *road {
	for _, r := range roads {
		if r.slug == slug {
			return r
		}
	}
	panic("simulate: no road " + slug)
}

// route is a bus line, driven back and forth between its termini.
type route struct {
	id, name string
	line     *polyline
}

// routes are the demo bus lines, made of the main roads.
var routes = []*route{
	{id: "VT-01", name: "Tuyến 01: Bãi Trước – Bãi Sau",
		line: newPolyline(roadNamed("HaLong").line.pts, roadNamed("ThuyVan").line.pts)},
	{id: "VT-02", name: "Tuyến 02: Bạch Dinh – Bãi Dâu", line: roadNamed("TranPhu").line},
	{id: "VT-03", name: "Tuyến 03: Bãi Sau – 3 Tháng 2",
		line: newPolyline(reversed(roadNamed("LeHongPhong").line.pts[2:]), roadNamed("3Thang2").line.pts)},
}

// reversed returns pts in the opposite order.
func reversed(pts []Point) []Point {
	out := make([]Point, len(pts))
	for i, p := range pts {
		out[len(pts)-1-i] = p
	}
	return out
}

// Landmarks of the city, as on the base map.
var (
	baiTruoc = Point{107.0722, 10.3458}
	baiSau   = Point{107.099, 10.3402}
	nuiNho   = Point{107.0788, 10.3312}
	nuiLon   = Point{107.0652, 10.3668}
	kitoVua  = Point{107.0846, 10.3262}
	haiDang  = Point{107.0775, 10.334}
	bachDinh = Point{107.0703, 10.352}
)

// vertex returns the i-th point of the road with the given slug.
func vertex(slug string, i int) Point {
	return roadNamed(slug).line.pts[i]
}

// catalogue returns the named devices, interleaved by kind so that the
// first few devices already show every kind.
func catalogue() []device {
	lists := [][]device{airStations(), waterStations(), trafficCounters(), floodSensors(),
		streetlights(), wasteBins(), buses()}
	var out []device
	for i := 0; ; i++ {
		added := false
		for _, l := range lists {
			if i < len(l) {
				out = append(out, l[i])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

// airStations are the automatic air-quality monitoring stations.
func airStations() []device {
	return []device{
		{kind: kindAir, slug: "BaiTruoc", name: "Trạm quan trắc không khí Bãi Trước", pos: baiTruoc, traffic: 0.9, industry: 0.3},
		{kind: kindAir, slug: "NgaTuGiengNuoc", name: "Trạm quan trắc không khí Ngã tư Giếng Nước", pos: vertex("3Thang2", 2), traffic: 1.4, industry: 0.4},
		{kind: kindAir, slug: "BaiSau", name: "Trạm quan trắc không khí Bãi Sau", pos: baiSau, traffic: 0.7, industry: 0.2},
		{kind: kindAir, slug: "DongXuyen", name: "Trạm quan trắc không khí KCN Đông Xuyên", pos: Point{107.108, 10.392}, traffic: 0.8, industry: 1.5},
		{kind: kindAir, slug: "NuiLon", name: "Trạm quan trắc không khí Núi Lớn", pos: nuiLon, traffic: 0.2, industry: 0.2},
	}
}

// waterStations are the water-quality stations on Sông Dinh and the coast.
func waterStations() []device {
	return []device{
		{kind: kindWater, slug: "SongDinh-CatLo", name: "Trạm quan trắc nước sông Dinh – Cát Lở", pos: Point{107.117, 10.418}, river: true},
		{kind: kindWater, slug: "BaiTruoc", name: "Trạm quan trắc nước biển Bãi Trước", pos: Point{107.0724, 10.3455}},
		{kind: kindWater, slug: "SongDinh-Phuong12", name: "Trạm quan trắc nước sông Dinh – Phường 12", pos: Point{107.135, 10.405}, river: true},
		{kind: kindWater, slug: "BaiSau", name: "Trạm quan trắc nước biển Bãi Sau", pos: Point{107.0985, 10.3402}},
		{kind: kindWater, slug: "BaiDua", name: "Trạm quan trắc nước biển Bãi Dứa", pos: Point{107.0735, 10.3385}},
	}
}

// trafficCounters count vehicles on each main road.
func trafficCounters() []device {
	var out []device
	for _, r := range roads {
		out = append(out, device{kind: kindTraffic, slug: r.slug, name: "Bộ đếm lưu lượng " + r.name,
			pos: r.line.pts[len(r.line.pts)/2], road: r})
	}
	return out
}

// floodSensors watch the streets that flood in heavy rain, and the river.
func floodSensors() []device {
	return []device{
		{kind: kindFlood, slug: "LeHongPhong", name: "Cảm biến ngập Lê Hồng Phong", pos: vertex("LeHongPhong", 2), road: roadNamed("LeHongPhong")},
		{kind: kindFlood, slug: "SongDinh-CatLo", name: "Cảm biến mực nước sông Dinh – Cát Lở", pos: Point{107.1175, 10.4175}, river: true},
		{kind: kindFlood, slug: "NguyenAnNinh", name: "Cảm biến ngập Nguyễn An Ninh", pos: vertex("NguyenAnNinh", 2), road: roadNamed("NguyenAnNinh")},
		{kind: kindFlood, slug: "3Thang2", name: "Cảm biến ngập 3 Tháng 2", pos: vertex("3Thang2", 4), road: roadNamed("3Thang2")},
	}
}

// streetlights are two lights on each main road.
func streetlights() []device {
	var out []device
	for _, r := range roads {
		for j, f := range []float64{0.3, 0.7} {
			p, _ := r.line.at(f * r.line.length())
			out = append(out, device{kind: kindLight, slug: fmt.Sprintf("%s-%02d", r.slug, j+1),
				name: fmt.Sprintf("Đèn đường %s %02d", r.name, j+1), pos: p, road: r})
		}
	}
	return out
}

// wasteBins stand at the landmarks.
func wasteBins() []device {
	bins := []struct {
		slug, name string
		pos        Point
	}{
		{"BaiTruoc", "Bãi Trước", baiTruoc}, {"BaiSau", "Bãi Sau", offset(baiSau, -60, 0)},
		{"TuongChuaKitoVua", "Tượng Chúa Kitô Vua", kitoVua}, {"HaiDang", "Hải Đăng", haiDang},
		{"BachDinh", "Bạch Dinh", bachDinh}, {"NuiNho", "Núi Nhỏ", nuiNho}, {"NuiLon", "Núi Lớn", nuiLon},
	}
	var out []device
	for _, b := range bins {
		out = append(out, device{kind: kindWaste, slug: b.slug, name: "Thùng rác " + b.name, pos: b.pos})
	}
	return out
}

// buses are two buses on each route.
func buses() []device {
	var out []device
	for i, r := range routes {
		for j := 1; j <= 2; j++ {
			out = append(out, device{kind: kindBus, slug: fmt.Sprintf("Bus%02d-%d", i+1, j),
				name: fmt.Sprintf("Xe buýt tuyến %02d – xe %d", i+1, j), pos: r.line.pts[0], route: r})
		}
	}
	return out
}
