package apiserver

import "context"

// Follow keeps the API's view in step with the sync loop until ctx ends,
// so what happens between two requests is not missed: above all the
// events of a pod that goes away before anyone asks, which the API keeps
// for eventTTL. Requests bring the view up to date themselves; Follow
// only makes sure no change goes unseen.
func (s *Server) Follow(ctx context.Context) error {
	for {
		changed := s.store.sync().Changed
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
	}
}
