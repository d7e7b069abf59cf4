package ari

import (
	"context"
	"net/http"

	lib "github.com/CyCoreSystems/ari/v5"
)

// Endpoints lists every endpoint (device) Asterisk knows.
func (c *Client) Endpoints(ctx context.Context) ([]*Endpoint, error) {
	var ds []lib.EndpointData
	if err := c.call(ctx, "endpoint_list", http.MethodGet, "/endpoints", nil, nil, &ds); err != nil {
		return nil, err
	}
	out := make([]*Endpoint, len(ds))
	for i := range ds {
		out[i] = endpointFrom(&ds[i])
	}
	return out, nil
}

// Endpoint returns one endpoint, e.g. ("PJSIP", "1000").
func (c *Client) Endpoint(ctx context.Context, tech, resource string) (*Endpoint, error) {
	if err := checkIDs(tech, resource); err != nil {
		return nil, err
	}
	var d lib.EndpointData
	if err := c.call(ctx, "endpoint_get", http.MethodGet, "/endpoints/"+tech+"/"+resource, nil, nil, &d); err != nil {
		return nil, err
	}
	return endpointFrom(&d), nil
}
