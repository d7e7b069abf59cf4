package phone

import (
	"strings"
	"testing"
)

// Unit tests of the parts that need no Asterisk.

func TestSDPRoundTrip(t *testing.T) {
	body := buildSDP("127.0.0.1", 26005, 42, 3, []string{"0", "8"}, sendonly)
	for _, want := range []string{"o=- 42 3 IN IP4 127.0.0.1\r\n", "c=IN IP4 127.0.0.1\r\n",
		"m=audio 26005 RTP/AVP 0 8\r\n", "a=rtpmap:0 PCMU/8000\r\n", "a=rtpmap:8 PCMA/8000\r\n", "a=sendonly\r\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("SDP lacks %q:\n%s", want, body)
		}
	}
	o := parseSDP(body)
	if strings.Join(o.formats, " ") != "0 8" || o.direction != sendonly || o.answerFormat() != "0" {
		t.Fatalf("parsed %+v", o)
	}
}

func TestSDPAnswer(t *testing.T) {
	o := parseSDP([]byte("v=0\nm=audio 10000 RTP/AVP 8 101\na=rtpmap:101 telephone-event/8000\n"))
	if o.answerFormat() != "8" || o.direction != sendrecv {
		t.Fatalf("parsed %+v", o)
	}
	for offer, answer := range map[string]string{sendrecv: sendrecv, sendonly: recvonly, recvonly: sendonly, inactive: inactive, "": sendrecv} {
		if got := answerDirection(offer); got != answer {
			t.Errorf("answer to %q: %q, want %q", offer, got, answer)
		}
	}
}

func TestAnswerModes(t *testing.T) {
	for a, want := range map[Answer]string{
		NeverAnswer():                   "never answer",
		Busy():                          "reject with 486",
		AnswerAfter(0).HangupAfter(1e9): "answer after 0s, hang up after 1s",
	} {
		if a.String() != want {
			t.Errorf("%q, want %q", a, want)
		}
	}
}
