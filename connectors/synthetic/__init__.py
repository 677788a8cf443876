"""A deterministic synthetic IT organisation, the data behind the fake source APIs."""

from connectors.synthetic.generate import OrgSpec, content_digest, ensure_store, generate
from connectors.synthetic.profiles import PROFILES, Profile, get_profile

__all__ = ["PROFILES", "OrgSpec", "Profile", "content_digest", "ensure_store", "generate", "get_profile"]
