"""Conversational cues: what an agent's words say about the outcome, and how a customer reacts.

The patterns are written from how service conversations go in general (an agent confirms or
reports it could not do something, hands over, closes; a customer thanks, declines, complains
that nothing changed, repeats themself), not from any one data set's sentences. The patterns
are lower-case and run on the lower-cased turn; each role's kinds are gated by the words they
need, so a turn is scanned once by a small regex.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from evals.text import UPPER, GatedAlternatives, literal_alternation, words

# Past participles of the things an agent does for a customer.
_DONE_WORDS = words(
    """booked reserved scheduled rescheduled confirmed made placed processed completed created added set sent
    issued submitted purchased bought rented ordered dispatched transferred canceled cancelled changed updated
    refunded credited applied activated renewed resolved fixed approved paid shipped registered enrolled
    initiated arranged reset unlocked restored replaced waived upgraded downgraded removed saved filed
    reinstated reactivated amended corrected verified installed connected enabled disabled closed opened
    delivered returned exchanged"""
)
_DONE = literal_alternation(_DONE_WORDS)
# Base forms of the same actions, after "could not", "unable to", ...
_DO = (
    r"(?:book|make|reserve|schedule|complete|process|confirm|place|set|create|add|rent|buy|purchase|"
    r"transfer|send|issue|cancel|change|update|refund|get|secure|fulfill?|do|finish|submit|apply|"
    r"approve|verify|resolve|fix|access|go\s+through|help|reach|connect|load|restore|reset|unlock|"
    r"activate|ship|deliver|pay|charge|arrange|honou?r|waive|replace|return|exchange|install)"
)
_CANNOT = (
    r"(?:could\s*n[o']t|can\s*n[o']t|can't|cannot|was\s*n[o']t\s+able\s+to|were\s*n[o']t\s+able\s+to|"
    r"(?:am|is|are)\s+not\s+able\s+to|unable\s+to|failed\s+to|did\s*n[o']t\s+manage\s+to|"
    r"not\s+(?:possible|able)\s+to|won't\s+be\s+able\s+to)"
)
_CANNOT_WORDS = words(
    "could couldn couldnot can cannot was wasn were weren not unable failed did didn didnot won"
)

_AGENT_KINDS = {
    # A failure is checked before a success at the same position ("could not be booked").
    "failure": [
        rf"\b{_CANNOT}\s+(?:\w+\s+){{0,3}}?{_DO}\b",
        rf"\b{_CANNOT}\s+be\s+{_DONE}\b",
        (
            r"\b(?:reservation|booking|appointment|order|request|transaction|payment|transfer|purchase|rental|"
            r"refund|ride|alarm|ticket|application|claim|change|update|cancellation|it|this|that)\s+(?:\w+\s+){0,2}?"
            r"(?:failed|was\s+unsuccessful|was\s+not\s+successful|is\s+not\s+successful|could\s*n[o']t\s+be|"
            r"couldn't\s+be|cannot\s+be|can't\s+be|did\s*n[o']t\s+go\s+through|didn't\s+go\s+through|"
            r"was\s+(?:declined|rejected|denied)|(?:is|was)\s+not\s+possible)\b"
        ),
        r"(?:\bnot|n't)\s+(?:possible|successful)\b",
        r"\bunsuccessful\b",
        r"\bimpossible\b",
        r"\bsomething\s+(?:went|is|has\s+gone)\s+wrong\b",
        (
            r"\b(?:there\s+was|there's|there\s+is|we\s+had|i\s+had|(?:i|we)\s+ran\s+into|(?:i|we)\s+hit|encountered)"
            r"\s+(?:a|an|some)\s+(?:\w+\s+)?(?:problem|issue|error|glitch)"
        ),
        r"\bsystem\s+(?:error|crash|failure|outage|is\s+down)\b",
        r"\b(?:was|been|got|is)\s+(?:declined|rejected|denied)\b",
        (
            r"\b(?:i'm|i\s+am|we're|we\s+are)\s+(?:sorry|afraid)\s+(?:but\s+|that\s+)?(?:we|i)\s+"
            r"(?:can't|cannot|could\s*n[o']t|won't|will\s+not|are\s+not\s+able|don't|do\s+not)\b"
        ),
        r"\bnot\s+eligible\b|\bineligible\b",
    ],
    # The requested thing does not exist or is taken: a failure unless a retry succeeds.
    "soft_failure": [
        (
            r"\b(?:no|not\s+any|zero)\s+(?:\w+\s+)?(?:availability|openings|slots|vacancies|seats\s+left|rooms\s+left|"
            r"tables\s+left|results|matches)\b"
        ),
        r"\b(?:unavailable|not\s+available|fully\s+booked|sold\s+out|booked\s+up|(?:is|are)\s+full|out\s+of\s+stock)\b",
        (
            r"\b(?:could\s*n[o']t|couldn't|can't|cannot|unable\s+to|was\s*n[o']t\s+able\s+to|wasn't\s+able\s+to)\s+"
            r"(?:find|locate|see)\b"
        ),
    ],
    "success": [
        rf"\b(?:has|have|'s|'ve)\s+(?:now\s+|also\s+|already\s+|just\s+)?been\s+(?:successfully\s+|now\s+)?{_DONE}\b",
        (
            rf"\b(?:is|are|was|were)\s+(?:now\s+|all\s+|successfully\s+|already\s+)?"
            rf"(?:{_DONE}(?!\s+up)|complete|done|successful|through|on\s+(?:its|the|their|his|her)\s+way|"
            r"(?:coming|headed|heading)\s+(?:your\s+way|to\s+you|now|right))\b"
        ),
        rf"\b(?:i|we)(?:'ve|\s+have)?\s+(?:now\s+|just\s+|also\s+|successfully\s+|(?:gone|went)\s+ahead\s+and\s+)*{_DONE}\b",
        rf"\b(?:it|that|this|everything|you|they|we)(?:'s|'re)\s+(?:now\s+|all\s+)?(?:{_DONE}(?!\s+up)|done|complete)\b",
        rf"\b(?:i|we)\s+(?:was|were|have\s+been|'ve\s+been)\s+able\s+to\s+{_DO}\b",
        r"(?<!not\s)(?<!n't\s)\bsuccessful(?:ly)?\b",
        r"\ball\s+set\b|\bgood\s+to\s+go\b|\ball\s+done\b",
        r"\b(?:confirmation|reference|booking|order|tracking|ticket|case)\s+(?:number|code|id|\#)\s+(?:is|will\s+be)\b",
        (
            r"\byou(?:'ll|\s+will|\s+should)\s+(?:soon\s+|shortly\s+)?(?:receive|get)\s+(?:a|an|the|your)?\s*"
            r"(?:confirmation|email|e-mail|receipt|text|sms|refund)"
        ),
        r"\b(?:it|that|this)(?:'s|\s+is|\s+has\s+been)\s+(?:done|taken\s+care\s+of|sorted)\b",
    ],
    "escalation": [
        r"\b(?:transfer(?:ring)?|connect(?:ing)?|put(?:ting)?|forward(?:ing)?|rout(?:e|ing))\s+you\s+(?:to|through|over)\b",
        r"\bescalat\w*",
        r"\b(?:hand(?:ing)?|pass(?:ing)?)\s+(?:you|this|it|your\s+\w+)\s+(?:over|on)\s+to\b",
        (
            r"\b(?:a|an|our|the|my)\s+(?:supervisor|manager|specialist|senior\s+\w+|human|colleague|technician|"
            r"engineer|team|department|representative)\s+(?:will|would|can|is\s+going\s+to|should)\s+"
            r"(?:call|contact|reach|get\s+back|follow\s+up|look\s+into|help|assist|be\s+in\s+touch|review)"
        ),
        (
            r"\b(?:open(?:ed)?|rais(?:e|ed)|creat(?:e|ed)|fil(?:e|ed)|submit(?:ted)?|log(?:ged)?)\s+(?:a|an)\s+"
            r"(?:support\s+|service\s+)?(?:ticket|case|complaint)\b"
        ),
        r"\bsomeone\s+(?:will|should|is\s+going\s+to)\s+(?:call|contact|reach|get\s+back|follow\s+up|be\s+in\s+touch)",
        r"\b(?:call|contact|email)\s+(?:our|the)\s+(?:support|billing|technical|customer\s+service)\b",
    ],
    # Sending the customer somewhere else instead of acting: another channel, a hotline, a store.
    "deflection": [
        r"\b(?:private|direct)\s+messages?\b|\bdm\s+(?:us|me)\b|\bvia\s+(?:pm|dm)\b",
        (
            r"\b(?:call|dial|phone|contact|visit|consult|reach|go\s+to|ask)\s+(?:our|the|your|a|an)\s+(?:\w+\s+){0,2}?"
            r"(?:hotline|hot\s+line|helpline|customer\s+service|service\s+(?:center|centre|desk|hall)|store|shop|branch|"
            r"outlet|dealer|retailer|website|app|counter|office|carrier|provider|bank|seller|merchant|manufacturer)\b"
        ),
        r"\b(?:call|dial)\s+(?:us\s+)?(?:at\s+|on\s+)?\d",
    ],
    # A concrete step for the customer to take: the agent offers a solution, not only sympathy.
    "instruction": [
        (
            r"\b(?:please|you\s+(?:can|could|may|need\s+to|should|have\s+to)|try\s+to|suggest(?:ed)?\s+(?:you\s+)?(?:to\s+)?)\s+"
            r"(?:\w+\s+)?(?:try|check|go\s+to|click|tap|select|choose|open|restart|reboot|reinstall|install|update|upgrade|"
            r"reset|clear|delete|remove|turn|switch|enable|disable|log\s+(?:in|out)|sign\s+(?:in|out)|download|apply|set|"
            r"change|enter|use|follow)\b"
        ),
    ],
    # A promise to act later instead of an answer now: the request is still open.
    "promise": [
        (
            r"\b(?:we|i|our\s+\w+|they)(?:'ll|\s+will|\s+are\s+going\s+to|\s+shall)\s+(?:\w+\s+)?"
            r"(?:contact|reply|respond|get\s+back|call|follow\s+up|check|handle|look\s+into|inform|notify|verify|investigate)\b"
        ),
        r"\b(?:is|are)\s+(?:being|currently)\s+(?:handled|processed|investigated|checked|reviewed)\b|\bplease\s+(?:wait|be\s+patient)\b",
    ],
    # Words instead of action: feedback noted, service to be improved.
    "placation": [
        r"\bthanks?\s+(?:you\s+)?for\s+your\s+(?:feedback|suggestion|attention|support|understanding|patience)\b",
        (
            r"\b(?:we|i)(?:'ll|\s+will)\s+(?:\w+\s+){0,2}?(?:improve|optimi[sz]e|record|note|feed\s*back|pass\s+(?:it|this)\s+on|"
            r"take\s+(?:it|this|your\s+\w+)\s+(?:into\s+account|seriously)|work\s+harder|do\s+better|study)\b"
        ),
    ],
    "confirm_request": [
        r"\bis\s+(?:that|this|it)\s+(?:right|correct|ok(?:ay)?)\b",
        r"\b(?:correct|right)\s*\?",
        r"\b(?:please|can\s+you|could\s+you|would\s+you)\s+confirm\b",
        r"\bto\s+confirm\b|\bconfirming\b",
    ],
    "alternative": [
        r"\bhow\s+about\b|\bwhat\s+about\b|\binstead\b|\balternatively\b|\banother\s+option\b",
        r"\b(?:would|do)\s+you\s+(?:like|want)\s+(?:me\s+)?to\s+try\b|\b(?:shall|should|can)\s+i\s+try\b",
    ],
    "apology": [r"\b(?:sorry|apologi[sz]e|apologies|unfortunately|regret(?:fully)?|afraid)\b"],
    "offer_help": [
        r"\b(?:anything|something)\s+else\b|\bfurther\s+(?:help|assist)|\bhappy\s+to\s+help\b|\bglad\s+to\s+help\b",
        r"\bmy\s+pleasure\b|\byou(?:'re|\s+are)\s+welcome\b",
    ],
    "closing": [
        (
            r"\bhave\s+a\s+(?:great|good|nice|wonderful|lovely|pleasant|fantastic|safe)\b|\bgood\s*-?\s*bye\b|"
            r"\bbye\b|\btake\s+care\b|\benjoy\b"
        ),
    ],
}

_CUSTOMER_KINDS = {
    "repeat_complaint": [
        r"\bi\s+(?:already|just)\s+(?:told|said|gave|mentioned|provided|sent|explained|answered)\b",
        r"\b(?:as|like)\s+i\s+(?:already\s+|just\s+)?(?:said|told\s+you|mentioned|explained|wrote|stated)\b",
        r"\bi(?:'ve|\s+have)\s+already\s+(?:told|said|given|provided|sent|mentioned|explained|answered)\b",
        r"\b(?:told|gave)\s+(?:you|it\s+to\s+you)\s+(?:already|before|earlier|twice)\b",
        # "I said sci-fi already", "I gave you my email before": a statement pointed back at.
        (
            r"\bi\s+(?:said|mentioned|gave\s+you|told\s+you|provided|explained|stated)\b[^.!?]{0,60}?"
            r"\b(?:already|before|earlier|previously|twice)\b"
        ),
        r"\bi\s+told\s+you\b",
        # "I told the last agent", "I gave it to your colleague already": said to someone before.
        (
            r"\bi(?:'ve|\s+have)?\s+(?:already\s+)?(?:told|gave|explained|said|mentioned|provided)\b[^.!?]{0,30}?"
            r"\b(?:the|your|that|another|an?)\s+(?:(?:last|other|previous|first|earlier|prior)\s+)"
            r"(?:agent|person|rep|representative|guy|lady|woman|man|colleague|team|department|assistant|advisor|adviser|call|chat)s?\b"
        ),
        r"\bi\s+(?:already\s+)?(?:told|gave|explained)\b[^.!?]{0,30}?\b(?:your|the)\s+colleagues?\b",
        r"\bdid\s*n[o']t\s+i\s+(?:just\s+|already\s+)?(?:tell|say|give|mention)\b",
        (
            r"\byou\s+(?:already\s+|just\s+)?asked\s+(?:me\s+)?(?:that|this|for\s+(?:it|that|this)|about\s+(?:it|that|this))"
            r"(?:\s+(?:already|before))?\b"
        ),
        r"\byou\s+already\s+have\s+(?:it|that|this|my)\b",
        # "How many times do I have to tell you", not "how many times can I reschedule".
        r"\bhow\s+many\s+times\s+(?:\w+\s+){0,5}?(?:tell|told|say|said|give|gave|given|repeat|explain|explained|ask|asked)\b",
        r"\brepeat\s+myself\b|\bsaid\s+(?:that|this|it)\s+(?:already|before)\b",
        r"\bfor\s+the\s+(?:second|third|fourth|fifth|hundredth|umpteenth|nth|last)\s+time\b",
    ],
    # The same complaint in forms anchored to where a sentence starts, which cannot share the
    # word-boundary prefix of the others: gated on their own words so most turns skip them.
    # A reply that opens "No, I said ..." or is only "I said Tuesday." corrects a lapse.
    "repeat_correction": [
        r"^\W*(?:no|nope|nah)\b\W*i\s+said\b",
        (
            r"^\W*i\s+said\s+(?!(?:to|that|so|goodbye|bye|hello|hi|thanks|thank|i|we|he|she|they|it)\b)"
            r"[^.!?]{1,40}[.!]*\s*$"
        ),
    ],
    # "Again?", "My address, again?": a short question that is only "again", not a request to
    # do something again ("Can you say that again?", "Do I restart it again?").
    "repeat_again": [
        (
            r"(?:^|[.!?]\s*)(?!(?:\w+\W+){0,3}?(?:say|repeat|explain|spell|try|do|does|start|come|send|check|call|run|"
            r"restart|reset|go|sign|log|turn|plug|read|type|enter)\b)(?:[\w']+[\s,]+){0,3}again\s*\?"
        ),
    ],
    "escalation_demand": [
        (
            r"\b(?:speak|talk)\s+(?:to|with)\s+(?:a|an|your|the|some)?\s*(?:human|person|manager|supervisor|real\s+person|"
            r"someone\s+else|somebody\s+else|representative|operator)\b"
        ),
        r"\b(?:get|give)\s+me\s+(?:a|your|the)\s+(?:manager|supervisor|human)\b",
    ],
    "abandon": [
        r"\bnever\s*mind\b|\bforget\s+(?:it|about\s+it)\b",
        r"\bi'?ll\s+(?:go|try|look)\s+(?:elsewhere|somewhere\s+else)\b|\bi'?ll\s+(?:call|come)\s+back\b",
        r"\b(?:cancel|close)\s+my\s+(?:account|subscription|membership|service)\b",
        r"\bswitch(?:ing)?\s+(?:to\s+)?(?:another|a\s+different)\s+(?:provider|company|bank|carrier)\b",
        r"\bdone\s+with\s+(?:this|you)\b|\bi\s+give\s+up\b",
    ],
    # A threat to leave or to take the matter further: the relationship, not only the request, is at risk.
    "threat": [
        r"\b(?:complain|complaint|report)\w*\s+(?:\w+\s+){0,3}?to\b",
        r"\b(?:sue|lawyer|legal\s+action|court|regulator|ombudsman|consumer\s+association)\b",
        r"\bnever\s+(?:\w+\s+)?(?:buy|use|recommend|choose|come\s+back|return|again)\b",
        (
            r"\b(?:switch|change|move|go|transfer)\w*\s+to\s+(?:another|a\s+different|other|some\s+other|your\s+competitor)"
            r"\b|\b(?:cancel|close|terminate|quit)\w*\s+(?:my|the|this)\s+(?:account|subscription|contract|plan|service|card)\b"
        ),
    ],
    "persists": [
        (
            r"\bstill\s+(?:\w+\s+)?(?:not|doesn't|does\s+not|isn't|is\s+not|can't|cannot|won't|haven't|hasn't|broken|down|"
            r"no|crash\w*|fail\w*|freez\w*|drop\w*|stuck|happen\w*|getting|seeing|showing|charg\w*|wrong|error\w*)\b"
        ),
        r"\b(?:no\s+difference|nothing\s+(?:has\s+)?changed|same\s+thing|did\s*n[o']t\s+change\s+anything)\b",
        r"\b(?:did|does|do)\s*n[o']t\s+(?:work|help|fix|solve)\b|\b(?:didn't|doesn't|don't)\s+(?:work|help|fix|solve)\b",
        r"\bnot\s+(?:working|fixed|resolved|solved|helpful)\b|\bsame\s+(?:problem|issue|error)\b",
        r"\bthat(?:'s|\s+is)\s+not\s+(?:what|right|correct)\b",
    ],
    "frustration": [
        (
            r"\b(?:ridiculous|unacceptable|frustrat\w*|annoy\w*|useless|terrible|awful|horrible|pathetic|"
            r"worst|angry|furious|upset|disappointed|unhappy|fed\s+up|sick\s+of)\b"
        ),
        r"\bwaste\s+of\s+(?:my\s+)?time\b|\bthis\s+is\s+(?:a\s+)?joke\b|\bare\s+you\s+(?:even|serious|kidding)\b",
        r"\bnot\s+listening\b",
    ],
    "satisfied": [
        r"\bthat\s+(?:worked|works|helped|helps|fixed\s+it|solved\s+it|did\s+it|did\s+the\s+trick)\b",
        r"\b(?:it|everything)\s+works\b|\bproblem\s+solved\b|\ball\s+(?:good|sorted|fixed)\b",
        r"\b(?:perfect|great|awesome|excellent|wonderful|fantastic|brilliant|sounds\s+good|works\s+for\s+me)\b",
        # The problem is gone: "it's solved", "works now", "back to normal", "no problem any more".
        (
            r"\b(?:it|that|this|everything|problem|issue)(?:'s|\s+is|\s+has\s+been|\s+was|\s+got|\s+gets)\s+(?:now\s+|all\s+)?"
            r"(?:solved|resolved|fixed|sorted|normal|working|right|better)\b"
        ),
        r"\b(?:works|working)\s+(?:now|again|fine|well)\b|\bback\s+to\s+normal\b|\b(?:worked|figured|sorted)\s+it\s+out\b",
        r"\bno\s+(?:more\s+)?(?:problems?|issues?)\s+(?:now|any\s*more|since|up\s+to\s+now|so\s+far)\b",
        r"\b(?:satisfied|thumbs?\s+up|well\s+done|good\s+job|helpful)\b",
    ],
    "gratitude": [r"\b(?:thanks?|thank\s+you|thx|appreciated?|cheers)\b"],
    # The customer takes the answer in: the exchange closes without a new complaint.
    "acknowledge": [
        (
            r"\b(?:got\s+it|i\s+see|(?:i\s+)?understood|i\s+understand|noted|(?:i(?:'ve)?\s+)?(?:received|learned)\s+(?:it|that)?|"
            r"makes\s+sense|i(?:'ll|\s+will)\s+(?:try|wait|check|have\s+a\s+try)|looking\s+forward|no\s+problem|"
            r"(?:it|that)(?:'s|\s+is)\s+(?:ok|okay|fine|alright)(?:\s+now)?)\b"
        ),
    ],
}

# Gates: the words every match of a kind contains (see `GatedAlternatives`).
_AGENT = GatedAlternatives(
    _AGENT_KINDS,
    {
        "failure": _CANNOT_WORDS
        | words(
            """failed unsuccessful declined rejected denied possible successful impossible wrong problem issue
            error glitch system sorry afraid eligible ineligible"""
        ),
        "soft_failure": words(
            "availability openings slots vacancies left results matches unavailable available booked sold full stock "
            "find locate see"
        ),
        "success": _DONE_WORDS
        | words(
            """been able complete done successful successfully through way coming headed heading good confirmation
            reference booking order tracking ticket case receive get taken sorted"""
        ),
        "escalation": words(
            """transfer transferring connect connecting put putting forward forwarding route routing escalate
            escalated escalates escalating escalation escalations hand handing pass passing supervisor manager specialist senior human
            colleague technician engineer team department representative ticket case complaint someone support
            billing technical customer"""
        ),
        "deflection": words(
            "private direct message messages dm pm call dial phone contact visit consult reach go ask"
        ),
        "instruction": words("please can could may need should have try suggest suggested"),
        "promise": words("we i our they ll will going shall being currently please"),
        "placation": words(
            "thank thanks feedback suggestion improve optimize optimise record note study harder better pass"
        ),
        "confirm_request": words("right correct ok okay confirm confirming"),
        "alternative": words("about instead alternatively another try"),
        "apology": words("sorry apologize apologise apologies unfortunately regret regretfully afraid"),
        "offer_help": words("else further happy glad pleasure welcome"),
        "closing": words("have good goodbye bye take enjoy"),
    },
    ignore_case=False,
)
_CUSTOMER = GatedAlternatives(
    _CUSTOMER_KINDS,
    {
        "repeat_complaint": words(
            "already just said told mentioned explained gave asked times time repeat tell"
        ),
        "repeat_correction": frozenset({"said"}),
        "repeat_again": frozenset({"again"}),
        "escalation_demand": words("speak talk manager supervisor human"),
        "abandon": words(
            "never nevermind forget else elsewhere back cancel close switch switching done give"
        ),
        "threat": words(
            """complain complaint complained complaints report reported reporting to sue lawyer legal court regulator
            ombudsman consumer never switch switching switched change changing changed move moving go going transfer
            transferring cancel cancelling canceling close closing terminate terminating quit"""
        ),
        "persists": words("still work help fix solve not same difference changed change"),
        "frustration": words(
            """ridiculous unacceptable frustrated frustrating frustration frustrates annoy annoys annoyed
            annoying useless terrible awful horrible pathetic worst angry furious upset disappointed unhappy
            fed sick waste joke even serious kidding listening"""
        ),
        "satisfied": words(
            "worked works helped helps fixed solved did good sorted perfect great awesome excellent wonderful "
            "fantastic brilliant resolved normal working right better figured problem problems issue issues "
            "satisfied thumb thumbs done job helpful"
        ),
        "gratitude": words("thanks thank thx appreciate appreciated cheers"),
        "acknowledge": words(
            "got see understood understand noted received learned makes ll will looking problem ok okay fine alright"
        ),
    },
    ignore_case=False,
)

# How a reply starts says whether the customer takes up an offer (a retry after a failure).
_DECLINE = re.compile(
    r"^\W*(?:no\b|nope\b|nah\b|not\s+(?:now|really|right\s+now|at\s+the\s+moment|today|that)\b|don't\b|do\s+not\b|"
    r"never\s*mind\b|that's\s+(?:all|it|ok|okay|fine|alright)\b|it's\s+(?:ok|okay|fine|alright)\b|"
    r"i'm\s+(?:good|fine|done)\b|forget\b|i\s+don't\b)",
    re.IGNORECASE,
)
_ACCEPT = re.compile(
    r"^\W*(?:yes\b|yeah\b|yep\b|yup\b|sure\b|ok(?:ay)?\b|please\b|go\s+ahead\b|sounds\s+good\b|that\s+works\b|"
    r"fine\b|alright\b|all\s+right\b|try\b|let's\b|do\s+it\b|book\s+it\b|absolutely\b|definitely\b|"
    r"of\s+course\b|correct\b|perfect\b|great\b)",
    re.IGNORECASE,
)


# Kinds scanned apart (for speed) that report as one cue.
_SAME_CUE = {"repeat_correction": "repeat_complaint", "repeat_again": "repeat_complaint"}

# A customer turn made only of these words greets, thanks or acknowledges: it asks for nothing.
_PLEASANTRY = words(
    """hi hello hey hiya good morning afternoon evening day there everyone all thanks thank you very much so a
    lot cheers bye goodbye see ya later have nice great ok okay yes yeah yep sure alright fine how are doing i m
    am it s is and well too"""
) | {UPPER}

_CLAUSE_END = re.compile(r"[.!?;]")


class Cue(NamedTuple):
    kind: str
    start: int
    end: int


def agent_cues(lowered: str, tokens: frozenset[str]) -> list[Cue]:
    """Cues in an agent turn (lower-cased by `evals.text.lower`, with its `tokens_of`), in order.
    A success inside a clause that ends with "?" is a proposal ("so it's booked for 5 pm?"), not
    a notice, so it is dropped."""
    cues = []
    for kind, match in _AGENT.finditer(lowered, tokens):
        if kind == "success":
            clause_end = _CLAUSE_END.search(lowered, match.end())
            if clause_end and clause_end.group(0) == "?":
                continue
        cues.append(Cue(kind, match.start(), match.end()))
    return cues


def is_pleasantry(tokens: frozenset[str]) -> bool:
    """Whether a customer turn (its `evals.text.tokens_of`) only greets, thanks or acknowledges."""
    return tokens <= _PLEASANTRY


def customer_cues(lowered: str, tokens: frozenset[str]) -> frozenset[str]:
    """The kinds of cue in a customer turn (lower-cased, with its tokens). `pleasantry` marks a
    turn that is only a greeting, thanks or an acknowledgement."""
    kinds = {_SAME_CUE.get(kind, kind) for kind, _ in _CUSTOMER.finditer(lowered, tokens)}
    if is_pleasantry(tokens):
        kinds.add("pleasantry")
    if _DECLINE.search(lowered):
        kinds.add("decline")
    elif _ACCEPT.search(lowered):
        kinds.add("accept")
    return frozenset(kinds)
