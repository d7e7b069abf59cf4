package ari

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	lib "github.com/CyCoreSystems/ari/v5"
)

// libDecode is decodeEvent as it was, with the library's ChannelData for
// the channels: the reference the lean decoding must equal.
func libDecode(data []byte) (Event, error) {
	var w struct {
		wireEvent
		Channel *lib.ChannelData `json:"channel"`
		Peer    *lib.ChannelData `json:"peer"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return Event{}, err
	}
	e := Event{
		Type: w.Type, Application: w.Application,
		Channel: channelFromLib(w.Channel), Peer: channelFromLib(w.Peer), Bridge: bridgeFrom(w.Bridge),
		Playback: playbackFrom(w.Playback), Recording: liveRecordingFrom(w.Recording), Endpoint: endpointFrom(w.Endpoint),
		Args: w.Args, Digit: w.Digit, DialStatus: w.DialStatus, Cause: w.Cause,
		Raw: data,
	}
	e.Timestamp, _ = time.Parse(lib.DateFormat, w.Timestamp)
	return e, nil
}

func TestDecodeEventAsTheLibrary(t *testing.T) {
	events := newFakeARIEvents(t)
	// A dial (peer) and a channel with variables and caller ids.
	events = append(events,
		[]byte(`{"type":"Dial","timestamp":"2026-11-23T08:04:07.890+0100","dialstatus":"ANSWER","peer":{"id":"p1","name":"PJSIP/1009-00000002","state":"Up","caller":{"name":"A \"b\"","number":"1009"},"connected":{"name":"","number":"3630"},"accountcode":"x","dialplan":{"context":"c","exten":"s","priority":7,"app_name":"Dial","app_data":""},"creationtime":"2026-11-23T08:04:07.123+0100","language":"en","channelvars":{"CALLCTL_X":"1"}},"application":"callctl"}`),
		[]byte(`{"type":"ChannelDtmfReceived","digit":"1","duration_ms":160,"channel":{"id":"c1","name":"PJSIP/carrier-1","state":"Up"},"application":"callctl"}`),
		[]byte(`{"type":"PlaybackFinished","playback":{"id":"flow-1","media_uri":"sound:beep","target_uri":"channel:c1","state":"done","language":"en"},"application":"callctl"}`),
	)
	for _, data := range events {
		got, err := decodeEvent(data)
		want, werr := libDecode(data)
		if (err != nil) != (werr != nil) {
			t.Fatalf("%s: error %v, the library's %v", data, err, werr)
		}
		// The same instant (without a creation time, the library's is
		// time.Unix of the zero time, in the local zone).
		for _, c := range [][2]*Channel{{got.Channel, want.Channel}, {got.Peer, want.Peer}} {
			if c[0] != nil && c[1] != nil {
				if !c[0].Created.Equal(c[1].Created) {
					t.Errorf("%s: created %v, the library's %v", data, c[0].Created, c[1].Created)
				}
				if c[0].Created.IsZero() {
					c[1].Created = c[0].Created
				}
				// The library's dialplan has no application: ours has.
				c[1].AppName, c[1].AppData = c[0].AppName, c[0].AppData
			}
		}
		if got.Peer != nil && got.Peer.ID == "p1" && got.Peer.AppName != "Dial" {
			t.Errorf("%s: peer's application %q, want Dial", data, got.Peer.AppName)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v %+v\nwant %+v %+v", data, got, got.Channel, want, want.Channel)
		}
	}
	for _, bad := range []string{`{"type":"StasisStart","channel":{"id":"x","creationtime":"yesterday"}}`, `{"type":`} {
		if _, err := decodeEvent([]byte(bad)); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	events := newFakeARIEvents(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		decodeEvent(events[i%len(events)])
	}
}
