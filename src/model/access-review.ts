// The port the agent's /metrics guard (agent/metrics-access.ts) asks through, and the kube adapter
// (adapters/kube/access-review.ts) implements with TokenReview and SubjectAccessReview.

export interface ReviewedUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface AccessReviewer {
  /** the user a token names, or null when the API server does not authenticate it */
  reviewToken(token: string): Promise<ReviewedUser | null>;
  /** whether `user` may `verb` the non-resource URL `path` */
  reviewAccess(user: ReviewedUser, verb: string, path: string): Promise<boolean>;
}
