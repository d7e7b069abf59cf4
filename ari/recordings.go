package ari

import (
	"context"
	"net/http"
	"net/url"

	lib "github.com/CyCoreSystems/ari/v5"
)

// LiveRecording returns a recording in progress.
func (c *Client) LiveRecording(ctx context.Context, name string) (*LiveRecording, error) {
	if err := checkIDs(name); err != nil {
		return nil, err
	}
	var d lib.LiveRecordingData
	if err := c.call(ctx, "recording_live_get", http.MethodGet, "/recordings/live/"+name, nil, nil, &d); err != nil {
		return nil, err
	}
	return liveRecordingFrom(&d), nil
}

// StopRecording stops a live recording and keeps the file.
func (c *Client) StopRecording(ctx context.Context, name string) error {
	if err := checkIDs(name); err != nil {
		return err
	}
	return c.call(ctx, "recording_live_stop", http.MethodPost, "/recordings/live/"+name+"/stop", nil, nil, nil)
}

// CancelRecording stops a live recording and discards the file.
func (c *Client) CancelRecording(ctx context.Context, name string) error {
	if err := checkIDs(name); err != nil {
		return err
	}
	return c.call(ctx, "recording_live_cancel", http.MethodDelete, "/recordings/live/"+name, nil, nil, nil)
}

// StoredRecordings lists the finished recordings.
func (c *Client) StoredRecordings(ctx context.Context) ([]StoredRecording, error) {
	var ds []lib.StoredRecordingData
	if err := c.call(ctx, "recording_stored_list", http.MethodGet, "/recordings/stored", nil, nil, &ds); err != nil {
		return nil, err
	}
	out := make([]StoredRecording, len(ds))
	for i, d := range ds {
		out[i] = StoredRecording{Name: d.Name, Format: d.Format}
	}
	return out, nil
}

// StoredRecording returns one finished recording.
func (c *Client) StoredRecording(ctx context.Context, name string) (StoredRecording, error) {
	if err := checkIDs(name); err != nil {
		return StoredRecording{}, err
	}
	var d lib.StoredRecordingData
	err := c.call(ctx, "recording_stored_get", http.MethodGet, "/recordings/stored/"+name, nil, nil, &d)
	return StoredRecording{Name: d.Name, Format: d.Format}, err
}

// DeleteStoredRecording deletes a finished recording.
func (c *Client) DeleteStoredRecording(ctx context.Context, name string) error {
	if err := checkIDs(name); err != nil {
		return err
	}
	return c.call(ctx, "recording_stored_delete", http.MethodDelete, "/recordings/stored/"+name, nil, nil, nil)
}

// CopyStoredRecording copies a finished recording under a new name.
func (c *Client) CopyStoredRecording(ctx context.Context, name, newName string) (StoredRecording, error) {
	if err := checkIDs(name, newName); err != nil {
		return StoredRecording{}, err
	}
	var d lib.StoredRecordingData
	err := c.call(ctx, "recording_stored_copy", http.MethodPost, "/recordings/stored/"+name+"/copy",
		url.Values{"destinationRecordingName": {newName}}, nil, &d)
	return StoredRecording{Name: d.Name, Format: d.Format}, err
}

// MoveStoredRecording renames a finished recording. ARI has no move: it is a
// copy, then a delete of the original once the copy exists.
func (c *Client) MoveStoredRecording(ctx context.Context, name, newName string) (StoredRecording, error) {
	r, err := c.CopyStoredRecording(ctx, name, newName)
	if err != nil {
		return StoredRecording{}, err
	}
	return r, c.DeleteStoredRecording(ctx, name)
}
