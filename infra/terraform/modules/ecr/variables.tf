variable "name" {
  description = "Name of the repository, for example \"hello-service\". Also the prefix of the KMS key alias."
  type        = string
  nullable    = false

  validation {
    # ECR's own rule for repository names (lowercase path segments separated
    # by "/"), with the length limit of 256.
    condition     = length(var.name) >= 2 && length(var.name) <= 256 && can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.name))
    error_message = "name must be 2 to 256 characters: lowercase letters and digits, optionally separated by single \".\", \"_\" or \"-\", with \"/\" between path segments."
  }
}

variable "image_count_to_keep" {
  description = "Number of most recent images (tagged or not) the lifecycle policy keeps; older ones are expired. Keep enough to roll back several deployments."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.image_count_to_keep >= 1 && var.image_count_to_keep <= 1000 && floor(var.image_count_to_keep) == var.image_count_to_keep
    error_message = "image_count_to_keep must be a whole number from 1 to 1000."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (left behind by multi-architecture builds and re-pushed layers) are expired."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.untagged_expiry_days >= 1 && var.untagged_expiry_days <= 3650 && floor(var.untagged_expiry_days) == var.untagged_expiry_days
    error_message = "untagged_expiry_days must be a whole number from 1 to 3650."
  }
}

variable "replication_regions" {
  description = "Regions this repository's images are replicated to. Empty (the default) manages no replication. The registry replication configuration is one per account and region: see the README before setting this."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for r in var.replication_regions : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", r))])
    error_message = "Each replication region must be an AWS region name such as \"eu-central-1\"."
  }

  validation {
    condition     = length(distinct(var.replication_regions)) == length(var.replication_regions)
    error_message = "replication_regions must not contain duplicates."
  }

  validation {
    # ECR allows at most 25 destinations in a replication configuration.
    condition     = length(var.replication_regions) <= 25
    error_message = "ECR allows at most 25 replication destinations."
  }
}

variable "force_delete" {
  description = "Delete the repository even if it still holds images. Leave false outside disposable environments: the images are what a rollback deploys."
  type        = bool
  default     = false
  nullable    = false
}

variable "pull_account_ids" {
  description = "Other AWS accounts whose principals may pull this repository's images (the staging and prod accounts, which copy what they deploy into their own repository). Each account still has to allow its principals through IAM. Empty for none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.pull_account_ids : can(regex("^[0-9]{12}$", a))])
    error_message = "Each pull account must be a 12-digit AWS account id."
  }
}
