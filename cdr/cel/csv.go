package cel

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// WriteCSV writes rows as CSV with a header (the fixtures test/record
// takes from the test bed).
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(append([]string{"rowid"}, Columns...)); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{strconv.FormatInt(r.ID, 10), r.Type, FormatTime(r.Time), r.Uniqueid, r.Linkedid, r.Channel,
			r.CallerNum, r.CallerName, r.Exten, r.Context, r.App, r.AppData, r.Peer, r.Extra}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadCSV reads what WriteCSV wrote.
func ReadCSV(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(Columns) + 1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	var out []Row
	for i, f := range recs {
		if i == 0 {
			continue // header
		}
		id, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("cel csv line %d: %w", i+1, err)
		}
		out = append(out, Row{ID: id, Type: f[1], Time: ParseTime(f[2]), Uniqueid: f[3], Linkedid: f[4], Channel: f[5],
			CallerNum: f[6], CallerName: f[7], Exten: f[8], Context: f[9], App: f[10], AppData: f[11], Peer: f[12], Extra: f[13]})
	}
	return out, nil
}
