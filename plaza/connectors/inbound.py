"""What a network's webhook delivered, in one shape for every network.

Each parser (``meta.parse_*``, ``telegram.parse_update``) turns a delivery into ``Incoming``
events; ``services.webhook_receive`` stores each once by (channel, event id) and processes it.
"""

from dataclasses import asdict, dataclass, field


@dataclass
class Incoming:
    # message | echo | comment | status | order | callback | pre_checkout | payment
    kind: str
    event_id: str  # the network's id for this event: stored once
    account_id: str  # the shop's account the event is for (page, IG account, phone number id)
    sender_id: str = ""  # the customer on the network (PSID, IGSID, wa_id, chat id)
    sender_name: str = ""
    text: str = ""
    quick_reply: str = ""  # the payload of a pressed button
    image_urls: list[str] = field(default_factory=list)
    timestamp: float = 0.0  # Unix seconds
    # comment: {"comment_id", "post_id", "parent_id"}; status: {"message_id", "status"};
    # order: {"items": [{"retailer_id", "quantity", "price", "currency"}]}; telegram extras
    data: dict = field(default_factory=dict)
    language: str = ""

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Incoming":
        return cls(**data)
