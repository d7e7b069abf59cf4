package phone

import (
	"fmt"
	"slices"
	"strings"
)

// Media directions of SDP.
const (
	sendrecv = "sendrecv"
	sendonly = "sendonly"
	recvonly = "recvonly"
	inactive = "inactive"
)

// sdpOffer is what the phone learned from a remote SDP body.
type sdpOffer struct {
	formats   []string // payload types of the first audio stream
	direction string   // sendrecv unless the SDP says otherwise
}

// parseSDP reads the audio formats and the media direction of an SDP body.
// It is lenient: anything it does not understand is ignored.
func parseSDP(body []byte) sdpOffer {
	o := sdpOffer{direction: sendrecv}
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "m=audio ") && o.formats == nil:
			// m=audio <port> <proto> <fmt> ...
			if f := strings.Fields(line); len(f) > 3 {
				o.formats = f[3:]
			}
		case line == "a="+sendonly, line == "a="+recvonly, line == "a="+inactive, line == "a="+sendrecv:
			o.direction = strings.TrimPrefix(line, "a=")
		}
	}
	return o
}

// answerDirection is the direction to answer an offered direction with.
func answerDirection(offered string) string {
	switch offered {
	case sendonly:
		return recvonly
	case recvonly:
		return sendonly
	case inactive:
		return inactive
	}
	return sendrecv
}

// answerFormat picks PCMU, or PCMA if the offer has only that.
func (o sdpOffer) answerFormat() string {
	if !slices.Contains(o.formats, "0") && slices.Contains(o.formats, "8") {
		return "8"
	}
	return "0"
}

var rtpmaps = map[string]string{"0": "PCMU/8000", "8": "PCMA/8000"}

// buildSDP writes a session description with one audio stream on host:port.
func buildSDP(host string, port int, sessionID int64, version int, formats []string, direction string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\n")
	fmt.Fprintf(&b, "o=- %d %d IN IP4 %s\r\n", sessionID, version, host)
	fmt.Fprintf(&b, "s=callctl test phone\r\n")
	fmt.Fprintf(&b, "c=IN IP4 %s\r\n", host)
	fmt.Fprintf(&b, "t=0 0\r\n")
	fmt.Fprintf(&b, "m=audio %d RTP/AVP %s\r\n", port, strings.Join(formats, " "))
	for _, f := range formats {
		fmt.Fprintf(&b, "a=rtpmap:%s %s\r\n", f, rtpmaps[f])
	}
	fmt.Fprintf(&b, "a=ptime:20\r\n")
	fmt.Fprintf(&b, "a=%s\r\n", direction)
	return []byte(b.String())
}
