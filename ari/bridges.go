package ari

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	lib "github.com/CyCoreSystems/ari/v5"
)

// CreateBridge creates a bridge with the given id; typ is a comma list of
// "mixing", "holding", "dtmf_events", "proxy_media" ("" means mixing).
func (c *Client) CreateBridge(ctx context.Context, id, typ, name string) (*Bridge, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	q := url.Values{}
	if typ != "" {
		q.Set("type", typ)
	}
	if name != "" {
		q.Set("name", name)
	}
	var d lib.BridgeData
	if err := c.call(ctx, "bridge_create", http.MethodPost, "/bridges/"+id, q, nil, &d); err != nil {
		return nil, err
	}
	return bridgeFrom(&d), nil
}

// Bridge returns a bridge's current state.
func (c *Client) Bridge(ctx context.Context, id string) (*Bridge, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	var d lib.BridgeData
	if err := c.call(ctx, "bridge_get", http.MethodGet, "/bridges/"+id, nil, nil, &d); err != nil {
		return nil, err
	}
	return bridgeFrom(&d), nil
}

// AddToBridge puts channels into a bridge.
func (c *Client) AddToBridge(ctx context.Context, bridgeID string, channelIDs ...string) error {
	if err := checkIDs(append([]string{bridgeID}, channelIDs...)...); err != nil {
		return err
	}
	q := url.Values{"channel": {strings.Join(channelIDs, ",")}}
	return c.call(ctx, "bridge_add", http.MethodPost, "/bridges/"+bridgeID+"/addChannel", q, nil, nil)
}

// RemoveFromBridge takes channels out of a bridge.
func (c *Client) RemoveFromBridge(ctx context.Context, bridgeID string, channelIDs ...string) error {
	if err := checkIDs(append([]string{bridgeID}, channelIDs...)...); err != nil {
		return err
	}
	q := url.Values{"channel": {strings.Join(channelIDs, ",")}}
	return c.call(ctx, "bridge_remove", http.MethodPost, "/bridges/"+bridgeID+"/removeChannel", q, nil, nil)
}

// DestroyBridge destroys a bridge; its channels stay up.
func (c *Client) DestroyBridge(ctx context.Context, id string) error {
	if err := checkIDs(id); err != nil {
		return err
	}
	return c.call(ctx, "bridge_destroy", http.MethodDelete, "/bridges/"+id, nil, nil, nil)
}

// PlayOnBridge starts playing media to everyone in a bridge.
func (c *Client) PlayOnBridge(ctx context.Context, bridgeID, playbackID string, media ...string) (*Playback, error) {
	return c.play(ctx, "bridges", bridgeID, playbackID, media)
}

// RecordBridge starts recording a bridge's mixed audio.
func (c *Client) RecordBridge(ctx context.Context, bridgeID string, p RecordParams) (*LiveRecording, error) {
	return c.record(ctx, "bridges", bridgeID, p)
}
